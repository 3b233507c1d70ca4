"""Timings for ``ocrpad-bench``: a heat map after a prediction, one class dream, a neuron trace."""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from ocrpad.explain.attribution import Method, heatmap
from ocrpad.explain.dream import DreamSettings, dream_classes
from ocrpad.explain.neuron import NeuronTracer, strongest_path
from ocrpad.explain.neuron_trace import Unit
from ocrpad.explain.session import BATCH
from ocrpad.model import Model


def _sample_input(size: int = 28) -> NDArray[np.float32]:
    """A fixed ring-shaped drawing (like an 'o') as a network input: (size, size)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    radius = np.hypot(yy - (size - 1) / 2, xx - (size - 1) / 2)
    ring: NDArray[np.float32] = np.clip(1.5 - np.abs(radius - size * 0.3), 0, 1).astype(np.float32)
    return ring


def time_heatmap(model: Model, method: Method = "gradcam", repeats: int = 20) -> float:
    """Median seconds to compute one heat map for a 28x28 input (after one warm-up call)."""
    image = _sample_input(model.config.input_size)
    heatmap(model, image, 0, method)
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        heatmap(model, image, k % model.num_classes, method)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def time_dream(model: Model, count: int = 1, settings: DreamSettings | None = None) -> float:
    """Seconds per class image when `count` classes are dreamt together (the gallery dreams
    BATCH at a time), with the default settings, after a warm-up step."""
    settings = DreamSettings() if settings is None else settings
    classes = [k % model.num_classes for k in range(count)]
    dream_classes(model, classes, DreamSettings(steps=1))
    start = time.perf_counter()
    dream_classes(model, classes, settings)
    return (time.perf_counter() - start) / count


def time_neuron_trace(model: Model, repeats: int = 20) -> float:
    """Median seconds from a click on a unit to its trace: one forward pass of the drawing,
    the unit's trace and the path of strongest inputs down to a pixel (what the window's
    neuron panel computes), cycling through every traceable layer, after one warm-up."""
    image = _sample_input(model.config.input_size)
    tracer = NeuronTracer(model, image)
    layers = tracer.traceable()
    times = []
    for k in range(repeats + 1):
        layer = layers[k % len(layers)]
        shape = tracer.outputs[layer].shape
        middle = Unit(layer, k % shape[0], *(n // 2 for n in shape[1:]))
        start = time.perf_counter()
        fresh = NeuronTracer(model, image)
        fresh.trace(layer, middle.channel, middle.row, middle.col)
        strongest_path(fresh, middle)
        times.append(time.perf_counter() - start)
    return float(np.median(times[1:]))


def explain_timings(model: Model) -> dict[str, float]:
    """Everything ``ocrpad-bench`` prints for explanations, in milliseconds."""
    return {
        "heatmap_occlusion_ms": 1000 * time_heatmap(model, "occlusion"),  # the app's default
        "heatmap_gradcam_ms": 1000 * time_heatmap(model, "gradcam"),
        "heatmap_saliency_ms": 1000 * time_heatmap(model, "saliency"),
        "dream_class_ms": 1000 * time_dream(model),
        "dream_per_class_in_gallery_ms": 1000 * time_dream(model, BATCH),
        "neuron_trace_ms": 1000 * time_neuron_trace(model),
    }
