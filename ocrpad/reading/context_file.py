"""The context layer in a model file: `to_file` writes it, `from_file` reads it back.

Files written before the position term, the per-set temperatures, the reader's own reading
of the history or the device correction lack their arrays and keys; they read as before (no
place term, one temperature, the history counted as the network reads it, no correction).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad import bounds
from ocrpad.nn.serialization import listing
from ocrpad.reading.context import (
    ARRAY_KEYS,
    LABELLED_ARRAY_KEYS,
    LABELLED_META_KEYS,
    PLACE_KEYS,
    SETS,
    ContextLayer,
    feature_count,
)
from ocrpad.reading.device import DeviceCorrection
from ocrpad.reading.families import GROUPS
from ocrpad.reading.trace import TraceNet


def to_file(layer: ContextLayer) -> tuple[dict[str, NDArray[np.floating[Any]]], dict[str, Any]]:
    """Arrays (keyed ``reader.NAME``) and JSON metadata for the model file."""
    arrays: dict[str, NDArray[np.floating[Any]]] = {
        f"reader.{k}": np.asarray(getattr(layer, k), np.float32) for k in ARRAY_KEYS
    }
    meta: dict[str, Any] = {
        "labels": "".join(layer.labels),
        "groups": list(layer.groups),
        "clip": layer.clip,
        "gauss_weight": layer.gauss_weight,
        "mix_weight": layer.mix_weight,
        "logit_scale": layer.logit_scale,
        "temperature": layer.temperature,
        "like_weight": layer.like_weight,
        "like_width": layer.like_width,
    }
    if layer.reads_history:
        meta["reads_history"] = True
    if layer.place_mu is not None and layer.place_sd is not None:
        arrays["reader.place_mu"] = np.asarray(layer.place_mu, np.float32)
        arrays["reader.place_sd"] = np.asarray(layer.place_sd, np.float32)
        meta.update(
            place_weight=layer.place_weight,
            wobbly_weight=layer.wobbly_weight,
            place_clip=layer.place_clip,
            guide_spread=layer.guide_spread,
        )
    if layer.device is not None:
        arrays["reader.device_bias"] = np.asarray(layer.device.bias, np.float32)
        meta.update(device_slope=layer.device.slope, device_offset=layer.device.offset)
    if layer.trace is not None:
        trace_arrays, meta["trace"] = layer.trace.to_file()
        arrays.update(trace_arrays)
    if layer.temperatures is not None:
        meta["temperatures"] = {
            s: [float(t) for t in row] for s, row in zip(SETS, layer.temperatures, strict=True)
        }
    if layer.labelled is not None:  # its own head; everything else is this layer's
        own_arrays, own_meta = to_file(layer.labelled)
        for key in LABELLED_ARRAY_KEYS:
            arrays[f"reader.labelled.{key}"] = own_arrays[f"reader.{key}"]
        meta["labelled"] = {k: own_meta[k] for k in LABELLED_META_KEYS if k in own_meta}
    return arrays, meta


def array_shapes(meta: Any) -> dict[str, tuple[int, ...]]:
    """The shape of every ``reader.*`` array a model file may hold beside the context layer
    that ``meta`` (the file's ``info["reader"]``) describes: all the keys `to_file` can write,
    the optional ones included. Empty if ``meta`` describes no layer (not a dict, labels not
    a string, groups not a list, or more of either than any layer has): such a file may hold
    no reader arrays. Lets `load_model` refuse foreign or outsized arrays by name and shape."""
    if not isinstance(meta, dict):
        return {}
    labels, groups = meta.get("labels"), meta.get("groups")
    if not isinstance(labels, str) or not isinstance(groups, list):
        return {}
    c, g = len(labels), len(groups)
    if c > bounds.MAX_CLASSES or g > len(GROUPS):
        return {}
    shapes = {
        **{k: (c,) for k in ("height_mu", "height_sd", "bias", "device_bias")},
        **{k: (c, 2) for k in PLACE_KEYS},
        "group_prior": (g,),
        "weights": (c, feature_count(g)),
    }
    shapes.update({f"labelled.{k}": shapes[k] for k in LABELLED_ARRAY_KEYS})
    out = {f"reader.{k}": shape for k, shape in shapes.items()}
    trace = meta.get("trace")
    if isinstance(trace, dict):
        with contextlib.suppress(KeyError, TypeError, ValueError):  # `from_file` names it
            out.update(TraceNet.array_shapes(trace))
    return out


def check_arrays(arrays: Mapping[str, NDArray[Any]], meta: Any) -> None:
    """Raise ValueError unless ``arrays`` (a model file's ``reader.*`` ones) are among those
    `array_shapes` allows for ``meta``, each of its shape; any may be missing (older files
    lack some, and `from_file` names what a layer needs)."""
    expected = array_shapes(meta)
    unexpected = [k for k in arrays if k not in expected]
    if unexpected:
        raise ValueError(f"unexpected reader arrays: {listing(unexpected)}")
    for key, value in arrays.items():
        if value.shape != expected[key]:
            raise ValueError(f"{key} has shape {value.shape}, expected {expected[key]}")


def from_file(arrays: dict[str, Any], meta: dict[str, Any]) -> ContextLayer:
    """Inverse of `ContextLayer.to_file`; raises ValueError naming what is wrong."""
    layer = _main_layer(arrays, meta)
    if "trace" in meta:
        layer = replace(layer, trace=TraceNet.from_file(arrays, meta["trace"]))
    if "labelled" not in meta:  # files from before the head for labelled histories
        return layer
    own = meta["labelled"]
    if not isinstance(own, dict):
        raise ValueError("the reader's head for labelled histories is malformed")
    head_arrays = {
        **arrays,
        **{f"reader.{k}": arrays.get(f"reader.labelled.{k}") for k in LABELLED_ARRAY_KEYS},
    }
    if any(v is None for v in head_arrays.values()):
        raise ValueError("the reader's head for labelled histories lacks its weights")
    head = _main_layer(head_arrays, {**meta, **own})
    return replace(layer, labelled=head)


def _main_layer(arrays: dict[str, Any], meta: dict[str, Any]) -> ContextLayer:
    try:
        labels = tuple(str(meta["labels"]))
        groups = tuple(str(g) for g in meta["groups"])
        values = {k: np.asarray(arrays[f"reader.{k}"], dtype=np.float64) for k in ARRAY_KEYS}
        scalars = {
            k: float(meta[k])
            for k in ("clip", "gauss_weight", "mix_weight", "logit_scale", "temperature")
        }
        place = {
            k: np.asarray(arrays[f"reader.{k}"], np.float64)
            for k in PLACE_KEYS
            if f"reader.{k}" in arrays
        }
        if place:
            scalars.update(
                {
                    k: float(meta[k])
                    for k in ("place_weight", "wobbly_weight", "place_clip", "guide_spread")
                }
            )
        device = None
        if "reader.device_bias" in arrays:
            device = np.asarray(arrays["reader.device_bias"], np.float64)
            scalars.update({k: float(meta[k]) for k in ("device_slope", "device_offset")})
        for key, default in (("like_weight", 0.0), ("like_width", 0.2)):
            scalars[key] = float(meta.get(key, default))  # files from before the term: none
        reads_history = meta.get("reads_history", False)
        if not isinstance(reads_history, bool):
            raise TypeError(f"reads_history is {reads_history!r}, not true or false")
        temperatures = None
        if "temperatures" in meta:
            temperatures = np.array([[float(t) for t in meta["temperatures"][s]] for s in SETS])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the reader's context layer is incomplete ({exc!r})") from exc
    c, g = len(labels), len(groups)
    shapes = {
        "height_mu": (c,),
        "height_sd": (c,),
        "group_prior": (g,),
        "weights": (c, feature_count(g)),
        "bias": (c,),
    }
    values.update(place)
    shapes.update({k: (c, 2) for k in place})
    for key, shape in shapes.items():
        if values[key].shape != shape:
            raise ValueError(f"reader.{key} has shape {values[key].shape}, expected {shape}")
    if device is not None and device.shape != (c,):
        raise ValueError(f"reader.device_bias has shape {device.shape}, expected {(c,)}")
    device_scalars = [scalars.get(k, 0.0) for k in ("device_slope", "device_offset")]
    if device is not None and not np.isfinite([*device, *device_scalars]).all():
        raise ValueError("the reader's device correction is not finite")
    not_finite = [k for k, v in scalars.items() if not np.isfinite(v)]
    if not_finite or (temperatures is not None and not np.isfinite(temperatures).all()):
        named = ", ".join(not_finite or ["temperatures"])
        raise ValueError(f"the reader's context layer has a number that is not finite: {named}")
    if len(place) == 1:
        raise ValueError("the reader's context layer has only one of reader.place_mu/place_sd")
    if not set(groups) <= set(GROUPS) or len(set(labels)) != c:
        raise ValueError("the reader's context layer names unknown groups or repeats a label")
    if (values["height_sd"] <= 0).any() or (values["group_prior"] <= 0).any():
        raise ValueError("the reader's context layer has a non-positive spread or prior")
    if place and (values["place_sd"] <= 0).any():
        raise ValueError("the reader's context layer has a non-positive place spread")
    if scalars["temperature"] <= 0 or scalars["clip"] <= 0 or scalars["like_width"] <= 0:
        raise ValueError("the reader's context layer has a non-positive temperature, clip or width")
    if temperatures is not None and (
        temperatures.shape != (len(SETS), 2) or (temperatures <= 0).any()
    ):
        raise ValueError("the reader's context layer has malformed per-set temperatures")
    return ContextLayer(
        labels=labels,
        groups=groups,
        height_mu=values["height_mu"],
        height_sd=values["height_sd"],
        group_prior=values["group_prior"],
        weights=values["weights"],
        bias=values["bias"],
        place_mu=values.get("place_mu"),
        place_sd=values.get("place_sd"),
        temperatures=temperatures,
        clip=scalars["clip"],
        gauss_weight=scalars["gauss_weight"],
        mix_weight=scalars["mix_weight"],
        logit_scale=scalars["logit_scale"],
        temperature=scalars["temperature"],
        place_weight=scalars.get("place_weight", 0.0),
        wobbly_weight=scalars.get("wobbly_weight", 0.0),
        place_clip=scalars.get("place_clip", 3.0),
        guide_spread=scalars.get("guide_spread", 0.2),
        like_weight=scalars["like_weight"],
        like_width=scalars["like_width"],
        reads_history=reads_history,
        device=None
        if device is None
        else DeviceCorrection(device, scalars["device_slope"], scalars["device_offset"]),
    )
