"""Sample values on their way in and out of the store: label and stroke checks, stroke JSON,
the 28x28 PNG codec and the default renderer (the shared preprocessing)."""

from __future__ import annotations

import io
import json
import math
import operator
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple, SupportsIndex

import numpy as np
from numpy.typing import ArrayLike, NDArray

Strokes = tuple[NDArray[np.float32], ...]
SOURCES: Final = ("prompt", "free", "correction", "import")
Source = Literal["prompt", "free", "correction", "import"]
MAX_ID: Final = 2**63 - 1  # SQLite's largest integer: no sample can have a larger id
LAST_SECOND: Final = 253_402_300_799.0
"""The last second of the year 9999 (UTC): the latest creation time a clock can show."""


@dataclass(frozen=True)
class Sample:
    """One stored drawing. ``strokes``: tuple of (k, 2) float32 arrays of x, y (y down)."""

    id: int
    label: str
    strokes: Strokes
    created: float  # seconds since the epoch (UTC)
    source: str


def row_to_sample(row: tuple[Any, ...]) -> Sample:
    """A stored row as a Sample; ValueError naming the damage if any field is not valid."""
    sample_id, label, created, strokes, source = row
    if not isinstance(created, int | float) or not isinstance(strokes, str):
        raise ValueError("the row's time or strokes are not stored as such")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    seconds = validate_created(created)
    return Sample(
        int(sample_id), validate_label(label), strokes_from_json(strokes), seconds, source
    )


def validate_id(sample_id: object) -> int:
    """A sample id as a Python int: Python and NumPy integers are ids. A float is refused
    (1.9 would quietly become sample 1), as are a bool (True is not sample 1), text and None:
    ValueError. A whole number beyond SQLite's range is returned; no sample has it."""
    if isinstance(sample_id, bool | np.bool_) or not isinstance(sample_id, SupportsIndex):
        kind = type(sample_id).__name__
        raise ValueError(f"a sample id must be a whole number, not {kind} {sample_id!r:.40}")
    return operator.index(sample_id)


def validate_created(created: object) -> float:
    """A creation time as seconds since the epoch: a real number from 0 to the end of the
    year 9999 (a bool, text, NaN or a time no clock shows is a ValueError: a row stored with
    one could never be read back, or shown)."""
    if isinstance(created, bool) or not isinstance(created, int | float | np.integer | np.floating):
        raise ValueError(
            f"a sample's creation time must be seconds since the epoch, not {created!r:.40}"
        )
    try:
        seconds = float(created)
    except OverflowError:  # a whole number beyond any float
        seconds = math.inf
    if not 0.0 <= seconds <= LAST_SECOND:
        raise ValueError(
            f"a sample's creation time must be between 1970 and the year 9999, not {seconds}"
        )
    return seconds


_NO_VARIATION_SELECTORS: Final = dict.fromkeys((0xFE0E, 0xFE0F))  # for str.translate


def new_rows(
    strokes: Sequence[Sequence[ArrayLike]],
    labels: Sequence[str],
    source: Source | Sequence[Source],
    png: Callable[[Strokes], bytes | None],
) -> list[tuple[object, ...]]:
    """The rows (label, created, strokes, png, source) that store new drawings, checked and
    their pictures drawn by ``png``; ``source`` is one for all, or one per drawing.
    ValueError if any is wrong, or the counts differ."""
    sources = [source] * len(strokes) if isinstance(source, str) else list(source)
    if not len(strokes) == len(labels) == len(sources):
        counts = f"{len(strokes)} drawings, {len(labels)} labels, {len(sources)} sources"
        raise ValueError(f"the counts differ: {counts}")
    rows: list[tuple[object, ...]] = []
    for drawing, label, kind in zip(strokes, labels, sources, strict=True):
        if kind not in SOURCES:
            raise ValueError(f"unknown sample source {kind!r}; expected one of {SOURCES}")
        clean, label = validate_strokes(drawing), validate_label(label)
        rows.append((label, time.time(), strokes_to_json(clean), png(clean), kind))
    return rows


class Taken(NamedTuple):
    """A deleted sample and the picture the store held for it (None if it had none)."""

    sample: Sample
    png: bytes | None


def restored_row(
    deleted: Sample | Taken, png: Callable[[Strokes], bytes | None]
) -> tuple[object, ...]:
    """The row (id, label, created, strokes, png, source) that puts a deleted sample back,
    checked like a new one so that no row is written that could not be read back: ValueError
    if the id is not a positive whole number, or the time, label, strokes or source is wrong.
    A ``Taken`` sample's picture goes back as it was; else ``png`` draws it."""
    sample = deleted.sample if isinstance(deleted, Taken) else deleted
    sample_id = validate_id(sample.id)
    if not 1 <= sample_id <= MAX_ID:
        raise ValueError(f"a sample's id is a positive whole number, not {sample_id}")
    created = validate_created(sample.created)
    if sample.source not in SOURCES:
        raise ValueError(f"unknown sample source {sample.source!r}; expected one of {SOURCES}")
    strokes, label = validate_strokes(sample.strokes), validate_label(sample.label)
    picture = deleted.png if isinstance(deleted, Taken) else png(strokes)
    return (sample_id, label, created, strokes_to_json(strokes), picture, sample.source)


def label_text(text: str) -> str:
    """``text`` as labels are written: without variation selectors (U+FE0E, U+FE0F: an emoji
    picker's heart is ❤ asking to be shown in colour, not a second character), then composed
    (NFC: "e" + a combining accent is "é")."""
    return unicodedata.normalize("NFC", text.translate(_NO_VARIATION_SELECTORS))


def validate_label(label: str) -> str:
    """Return ``label`` as ``label_text`` writes it if that is exactly one visible character;
    raise ValueError if not. A keycap ('1' + U+20E3) or another enclosing mark is refused,
    naming the character to type instead: it is a different symbol, not a way to show one."""
    if not isinstance(label, str):
        raise ValueError(f"a label must be a string, not {type(label).__name__}")
    normal = label_text(label)
    if len(normal) != 1:
        framed = len(normal) > 1 and all(unicodedata.category(c) == "Me" for c in normal[1:])
        instead = f": type {normal[0]!r} alone, without its keycap or frame" if framed else ""
        raise ValueError(f"a label must be exactly one character, got {label!r}{instead}")
    if unicodedata.category(normal)[0] in "CZ":
        raise ValueError(f"a label must be a visible character, got U+{ord(normal):04X}")
    if unicodedata.category(normal)[0] == "M":
        raise ValueError(
            f"a label must be a character, not a lone combining mark (U+{ord(normal):04X})"
        )
    return normal


def validate_labels(labels: list[str], what: str) -> None:
    """Raise ValueError (naming ``what``) unless ``labels`` is a non-empty list of distinct
    one-character strings, each a visible character as a drawing's label must be."""
    if not labels or len(set(labels)) != len(labels):
        raise ValueError(f"{what} must be non-empty and unique")
    if not all(isinstance(c, str) and len(c) == 1 for c in labels):
        raise ValueError(f"{what} must be one-character strings")
    for label in labels:
        try:
            validate_label(label)
        except ValueError as exc:
            raise ValueError(f"{what}: {exc}") from exc


def validate_strokes(strokes: Sequence[ArrayLike]) -> Strokes:
    """Check and convert strokes: at least one stroke, each (k >= 1, 2) of finite real numbers.

    Anything else (3-D points, complex or text values, nested deeper) is a ValueError, never
    silently reshaped.
    """
    arrays = tuple(_stroke(s) for s in strokes)
    arrays = tuple(a for a in arrays if len(a))
    if not arrays:
        raise ValueError("an empty drawing cannot be saved")
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError("the drawing has non-finite coordinates")
    return arrays


def _stroke(points: ArrayLike) -> NDArray[np.float32]:
    """One stroke as (k, 2) float32; ValueError unless it is k points of two real numbers."""
    try:
        array = np.asarray(points)
    except (ValueError, TypeError) as error:  # ragged nesting
        raise ValueError(f"a stroke must be a list of (x, y) points ({error})") from error
    if array.size == 0:
        return np.zeros((0, 2), np.float32)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"a stroke must be (k, 2) x, y points, not shape {array.shape}")
    if array.dtype.kind not in "iuf":
        raise ValueError(f"stroke points must be real numbers, not {array.dtype}")
    return array.astype(np.float32)


def strokes_to_json(strokes: Strokes) -> str:
    return json.dumps([np.round(s.astype(np.float64), 2).tolist() for s in strokes])


def strokes_from_json(text: str) -> Strokes:
    """Stored strokes back as arrays; ValueError if the text is not a valid drawing."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"the strokes are not valid JSON ({error!r:.80})") from error
    if not isinstance(data, list):
        raise ValueError("the strokes are not a list")
    return validate_strokes(data)


def default_renderer(strokes: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
    """The shared canvas-to-network pipeline (imported lazily: it is another module's job)."""
    from ocrpad.preprocess import render_strokes

    return np.asarray(render_strokes(strokes), dtype=np.float32)


def encode_png(image: NDArray[np.floating] | NDArray[np.uint8]) -> bytes:
    """(28, 28) image, float in [0, 1] or uint8 -> PNG bytes (8-bit grey)."""
    from PIL import Image

    pixels = np.asarray(image)
    if pixels.dtype != np.uint8:
        pixels = np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def decode_png(data: bytes) -> NDArray[np.uint8]:
    """PNG bytes -> (H, W) uint8 grey."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"), dtype=np.uint8)
