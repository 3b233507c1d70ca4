"""Export the user's samples to the shared stroke-array ``.npz`` format and to PNG folders, and
import that ``.npz`` format back.

The ``.npz`` layout is the one of ``../shared/data`` (see its README): ``points`` (P, 2) float32,
``stroke_offsets`` (S+1,) int64, ``sample_stroke_offsets`` (N+1,) int64, ``labels`` (N,) int16
indexing ``mapping`` (M,) str, ``images`` (N, 28, 28) uint8, ``writer`` / ``contributor`` (N,)
str and ``suspect`` (N,) bool.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.samples import (
    Sample,
    SampleStore,
    Source,
    Strokes,
    decode_png,
    encode_png,
    validate_label,
)
from ocrpad.nn.serialization import write_npz_atomically

STANDARD_MAPPING: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
NPZ_KEYS: Final = (
    "points",
    "stroke_offsets",
    "sample_stroke_offsets",
    "labels",
    "mapping",
    "images",
    "writer",
    "contributor",
    "suspect",
)


def export_mapping(labels: Sequence[str]) -> list[str]:
    """The 62 standard classes in EMNIST byclass order, then any other characters sorted."""
    extra = sorted(set(labels) - set(STANDARD_MAPPING))
    return [*STANDARD_MAPPING, *extra]


def _image(store: SampleStore, sample: Sample) -> NDArray[np.uint8]:
    data = store.png(sample.id)
    if data is not None:
        return decode_png(data)
    return np.zeros((28, 28), dtype=np.uint8)


def samples_to_arrays(
    store: SampleStore, samples: Sequence[Sample], writer: str = "ocrpad-user"
) -> dict[str, NDArray[np.generic]]:
    """Pack samples into the shared ``.npz`` arrays (see the module docstring)."""
    strokes = [s for sample in samples for s in sample.strokes]
    points = np.concatenate(strokes) if strokes else np.zeros((0, 2), np.float32)
    lengths = [len(s) for s in strokes]
    per_sample = [len(sample.strokes) for sample in samples]
    mapping = export_mapping([s.label for s in samples])
    index = {c: i for i, c in enumerate(mapping)}
    n = len(samples)
    images = [_image(store, s) for s in samples]
    return {
        "points": points.astype(np.float32).reshape(-1, 2),
        "stroke_offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "sample_stroke_offsets": np.concatenate([[0], np.cumsum(per_sample)]).astype(np.int64),
        "labels": np.array([index[s.label] for s in samples], dtype=np.int16),
        "mapping": np.array(mapping, dtype="<U1"),
        "images": np.stack(images) if images else np.zeros((0, 28, 28), np.uint8),
        "writer": np.array([writer] * n, dtype=str),
        "contributor": np.array(["ocrpad"] * n, dtype=str),
        "suspect": np.zeros(n, dtype=bool),
    }


def export_npz(store: SampleStore, path: str | Path, writer: str = "ocrpad-user") -> int:
    """Write every sample to ``path`` (atomically) in the shared format; returns the count."""
    samples = store.samples()
    write_npz_atomically(Path(path), samples_to_arrays(store, samples, writer), compress=True)
    return len(samples)


def folder_name(label: str) -> str:
    """A file-name-safe folder for one class, distinct even on case-insensitive file systems.

    ``'7'`` -> ``7``, ``'A'`` -> ``A_upper``, ``'a'`` -> ``a_lower``, anything else ->
    ``U+03A3`` (its code point).
    """
    char = validate_label(label)
    if char.isascii() and char.isdigit():
        return char
    if char.isascii() and char.isalpha():
        return f"{char}_upper" if char.isupper() else f"{char}_lower"
    return f"U+{ord(char):04X}"


def export_png_folders(store: SampleStore, folder: str | Path) -> int:
    """One sub-folder per class with ``<id>.png`` (28x28) files and a ``labels.tsv`` index."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    samples = store.samples()
    names: dict[str, str] = {}
    for sample in samples:
        name = names.setdefault(sample.label, folder_name(sample.label))
        (root / name).mkdir(exist_ok=True)
        (root / name / f"{sample.id}.png").write_bytes(encode_png(_image(store, sample)))
    index = "".join(f"{name}\t{label}\n" for label, name in sorted(names.items()))
    (root / "labels.tsv").write_text("folder\tcharacter\n" + index, encoding="utf-8")
    return len(samples)


def _check_offsets(name: str, offsets: NDArray[np.int64], end: int) -> None:
    if offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != end:
        raise ValueError(f"'{name}' must run from 0 to {end}")
    if np.any(np.diff(offsets) < 0):
        raise ValueError(f"'{name}' must not decrease")


def _load_arrays(path: str | Path, keys: Sequence[str]) -> dict[str, NDArray[np.generic]]:
    """The arrays named ``keys`` that the file holds (reading nothing else)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: np.asarray(data[key]) for key in keys if key in data.files}
    except (OSError, EOFError, ValueError, AttributeError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a readable .npz file: {error}") from error


def read_npz_strokes(path: str | Path) -> tuple[list[Strokes], list[str]]:
    """Read drawings and their characters from a file in the shared ``.npz`` format."""
    data = _load_arrays(path, NPZ_KEYS[:5])
    missing = [k for k in NPZ_KEYS[:5] if k not in data]
    if missing:
        raise ValueError(f"{path} lacks the arrays {missing}")
    points = np.asarray(data["points"], dtype=np.float32).reshape(-1, 2)
    strokes_at = np.asarray(data["stroke_offsets"], dtype=np.int64)
    samples_at = np.asarray(data["sample_stroke_offsets"], dtype=np.int64)
    labels = np.asarray(data["labels"], dtype=np.int64)
    mapping = [str(c) for c in data["mapping"]]
    _check_offsets("stroke_offsets", strokes_at, len(points))
    _check_offsets("sample_stroke_offsets", samples_at, len(strokes_at) - 1)
    if len(labels) != len(samples_at) - 1 or np.any((labels < 0) | (labels >= len(mapping))):
        raise ValueError(f"{path}: 'labels' do not match the samples or the mapping")
    strokes = [points[a:b] for a, b in itertools.pairwise(strokes_at)]
    drawings = [tuple(strokes[a:b]) for a, b in itertools.pairwise(samples_at)]
    return drawings, [mapping[i] for i in labels]


def import_npz(store: SampleStore, path: str | Path, source: Source = "import") -> list[int]:
    """Add every drawing of a shared-format ``.npz`` in one transaction; returns the new ids."""
    drawings, labels = read_npz_strokes(path)
    keep = [i for i, d in enumerate(drawings) if any(len(s) for s in d)]
    return store.add_many([drawings[i] for i in keep], [labels[i] for i in keep], source)
