"""Export the user's samples to the shared stroke-array ``.npz`` format and to PNG folders, and
import that ``.npz`` format back.

The ``.npz`` layout is the one of ``../shared/data`` (see its README): ``points`` (P, 2) float32,
``stroke_offsets`` (S+1,) int64, ``sample_stroke_offsets`` (N+1,) int64, ``labels`` (N,) int16
indexing ``mapping`` (M,) str, ``images`` (N, 28, 28) uint8, ``writer`` / ``contributor`` (N,)
str and ``suspect`` (N,) bool. ocrpad adds ``source`` (N,) str, where each drawing came from
(``prompt``, ``free``, ``correction``, ``import``); files without it import as ``import``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, cast

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.samples import (
    SOURCES,
    Sample,
    SampleStore,
    Source,
    Strokes,
    decode_png,
    encode_png,
    validate_label,
    validate_strokes,
)
from ocrpad.files import check_regular_file
from ocrpad.nn.serialization import ARCHIVE_ERRORS, check_npz_size, write_npz_atomically

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
    "source",
)


@dataclass(frozen=True)
class ImportLimits:
    """What one import may hold: enough for any person's drawings, far below what would
    stall the app (a file over these is refused whole, with the reason)."""

    samples: int = 50_000
    points: int = 5_000_000  # all drawings together
    points_per_drawing: int = 20_000
    strokes_per_drawing: int = 500
    bytes: int = 256 * 1024 * 1024  # the arrays read, uncompressed


USER_IMPORT: Final = ImportLimits()


@dataclass
class ImportResult:
    """What an import did: the new ids, and what it skipped (or that it was cancelled)."""

    ids: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per refused drawing
    cancelled: bool = False


def export_mapping(labels: Sequence[str]) -> list[str]:
    """The 62 standard classes in EMNIST byclass order, then any other characters sorted."""
    extra = sorted(set(labels) - set(STANDARD_MAPPING))
    return [*STANDARD_MAPPING, *extra]


def _image(store: SampleStore | None, sample: Sample) -> NDArray[np.uint8]:
    """The stored 28x28 picture; drawn again when it is missing or damaged."""
    try:
        data = None if store is None else store.png(sample.id)
        if data is not None:
            image = decode_png(data)
            if image.shape == (28, 28):
                return image
    except (OSError, ValueError, SyntaxError):
        pass  # a damaged picture: the strokes are the truth, draw them again
    try:
        from ocrpad.preprocess import render_strokes

        return np.asarray(np.rint(render_strokes(sample.strokes) * 255.0), dtype=np.uint8)
    except ValueError:
        return np.zeros((28, 28), dtype=np.uint8)


def export_drawings(
    path: Path,
    drawings: Sequence[Strokes],
    labels: Sequence[str],
    sources: Sequence[Source] | None = None,
) -> None:
    """Write drawings that are in no store (e.g. held in memory at close) to ``path``
    atomically, in the shared format; ``import_npz`` reads them back (with ``keep_sources``,
    each with its ``sources`` entry; without sources they count as imported)."""
    kinds: Sequence[Source] = sources if sources is not None else ["import"] * len(drawings)
    samples = [
        Sample(0, label, validate_strokes(d), 0.0, source)
        for d, label, source in zip(drawings, labels, kinds, strict=True)
    ]
    write_npz_atomically(path, samples_to_arrays(None, samples), compress=True)


def samples_to_arrays(
    store: SampleStore | None, samples: Sequence[Sample], writer: str = "ocrpad-user"
) -> dict[str, NDArray[np.generic]]:
    """Pack samples into the shared ``.npz`` arrays (see the module docstring); pictures come
    from ``store`` where it has them, else are drawn from the strokes."""
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
        "source": np.array([s.source for s in samples], dtype=str),
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
    """One sub-folder per class with ``<id>.png`` (28x28) files and a ``labels.tsv`` index.

    Writes only new files inside ``folder``: a folder, file or link already there under a name
    the export needs is refused before anything is written (FileExistsError naming it), and no
    file is ever opened through a symbolic link.
    """
    root = Path(folder)
    samples = store.samples()
    names = {label: folder_name(label) for label in sorted({s.label for s in samples})}
    if root.is_symlink():
        raise FileExistsError(f"{root} is a symbolic link; choose a real folder")
    taken = [root / n for n in [*names.values(), "labels.tsv"] if os.path.lexists(root / n)]
    if taken:
        raise FileExistsError(f"{taken[0]} already exists; choose an empty or new folder")
    root.mkdir(parents=True, exist_ok=True)
    for name in names.values():
        (root / name).mkdir()  # fails if anything appeared there meanwhile
    for sample in samples:
        _write_new(
            root / names[sample.label] / f"{sample.id}.png", encode_png(_image(store, sample))
        )
    index = "".join(f"{name}\t{label}\n" for label, name in names.items())
    _write_new(root / "labels.tsv", ("folder\tcharacter\n" + index).encode("utf-8"))
    return len(samples)


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (never an existing file, never through a link) and write ``data``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), 0o666)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _check_offsets(name: str, offsets: NDArray[np.int64], end: int) -> None:
    if offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != end:
        raise ValueError(f"'{name}' must run from 0 to {end}")
    if np.any(np.diff(offsets) < 0):
        raise ValueError(f"'{name}' must not decrease")


_READ_ERRORS: Final[tuple[type[BaseException], ...]] = (*ARCHIVE_ERRORS, ValueError, AttributeError)


def _load_arrays(
    path: str | Path, keys: Sequence[str], limit: int | None
) -> dict[str, NDArray[np.generic]]:
    """The arrays named ``keys`` that the file holds (reading nothing else, and refusing
    before reading if they would take more than ``limit`` bytes)."""
    try:
        check_regular_file(path)
        if limit is not None:
            check_npz_size(path, limit, keys)
        with np.load(path, allow_pickle=False) as data:
            return {key: np.asarray(data[key]) for key in keys if key in data.files}
    except _READ_ERRORS as error:
        raise ValueError(f"{path} is not a readable .npz file: {error}") from error


def _typed(path: str | Path, name: str, array: NDArray[np.generic], kinds: str) -> None:
    if array.dtype.kind not in kinds:
        what = {"iu": "whole numbers", "iuf": "real numbers", "U": "text"}[kinds]
        raise ValueError(f"{path}: '{name}' must hold {what}, not {array.dtype}")


def read_npz_strokes(
    path: str | Path, limits: ImportLimits | None = None
) -> tuple[list[Strokes], list[str]]:
    """Read drawings and their characters from a file in the shared ``.npz`` format.

    Types and shapes are checked, never coerced: ``points`` must be (P, 2) real numbers, the
    offsets and labels whole numbers. With ``limits``, a file holding more is refused whole.
    """
    data = _load_arrays(path, NPZ_KEYS[:5], None if limits is None else limits.bytes)
    missing = [k for k in NPZ_KEYS[:5] if k not in data]
    if missing:
        raise ValueError(f"{path} lacks the arrays {missing}")
    _typed(path, "points", data["points"], "iuf")
    for name in ("stroke_offsets", "sample_stroke_offsets", "labels"):
        _typed(path, name, data[name], "iu")
    _typed(path, "mapping", data["mapping"], "U")
    if data["points"].ndim != 2 or data["points"].shape[1] != 2:
        raise ValueError(f"{path}: 'points' must be (P, 2) x, y pairs, not {data['points'].shape}")
    points = np.asarray(data["points"], dtype=np.float32)
    strokes_at = np.asarray(data["stroke_offsets"], dtype=np.int64)
    samples_at = np.asarray(data["sample_stroke_offsets"], dtype=np.int64)
    labels = np.asarray(data["labels"], dtype=np.int64)
    mapping = [str(c) for c in data["mapping"].ravel()]
    _check_offsets("stroke_offsets", strokes_at, len(points))
    _check_offsets("sample_stroke_offsets", samples_at, len(strokes_at) - 1)
    if len(labels) != len(samples_at) - 1 or np.any((labels < 0) | (labels >= len(mapping))):
        raise ValueError(f"{path}: 'labels' do not match the samples or the mapping")
    if limits is not None:
        _check_limits(path, limits, strokes_at, samples_at)
    strokes = [points[a:b] for a, b in itertools.pairwise(strokes_at)]
    drawings = [tuple(strokes[a:b]) for a, b in itertools.pairwise(samples_at)]
    return drawings, [mapping[i] for i in labels]


def _check_limits(
    path: str | Path,
    limits: ImportLimits,
    strokes_at: NDArray[np.int64],
    samples_at: NDArray[np.int64],
) -> None:
    n, points = len(samples_at) - 1, int(strokes_at[-1])
    per_drawing = np.diff(strokes_at[samples_at])  # (N,) points of each drawing
    strokes = np.diff(samples_at)  # (N,) strokes of each drawing
    for what, value, limit in (
        ("drawings", n, limits.samples),
        ("points", points, limits.points),
        ("points in one drawing", int(per_drawing.max(initial=0)), limits.points_per_drawing),
        ("strokes in one drawing", int(strokes.max(initial=0)), limits.strokes_per_drawing),
    ):
        if value > limit:
            raise ValueError(f"{path} holds {value:,} {what}; ocrpad imports at most {limit:,}")


def read_npz_sources(path: str | Path, count: int) -> list[Source] | None:
    """Where each of the file's ``count`` drawings came from, if the file says so in a
    ``source`` array of known kinds (ocrpad's own files do); else None."""
    data = _load_arrays(path, ("source",), USER_IMPORT.bytes)
    recorded = data.get("source")
    if recorded is None or recorded.dtype.kind != "U" or recorded.shape != (count,):
        return None
    kinds = [str(s) for s in recorded]
    if not set(kinds) <= set(SOURCES):
        return None
    return cast(list[Source], kinds)


def import_npz(
    store: SampleStore,
    path: str | Path,
    source: Source = "import",
    *,
    keep_sources: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    chunk: int = 250,
) -> ImportResult:
    """Add the drawings of a shared-format ``.npz`` (all or none); returns what it did.

    The file is checked against ``USER_IMPORT`` first. Drawings that cannot be stored (no
    ink, a label that is not one visible character) are skipped and listed in the result.
    Saving goes ``chunk`` drawings per transaction, calling ``progress(done, total)`` after
    each; when ``cancel()`` turns True or a save fails, the drawings already added are removed
    again, so the store ends as it began (cancelled: ``result.cancelled``; failed: raises).
    With ``keep_sources``, drawings keep the source the file records for them (see
    ``read_npz_sources``), which is how a rescued drawing comes back as what it was.
    """
    drawings, labels = read_npz_strokes(path, USER_IMPORT)
    recorded = read_npz_sources(path, len(drawings)) if keep_sources else None
    sources: list[Source] = recorded or [source] * len(drawings)
    result, keep = ImportResult(), []
    for i, (drawing, label) in enumerate(zip(drawings, labels, strict=True)):
        try:
            validate_label(label)
            validate_strokes(drawing)
            keep.append(i)
        except ValueError as error:
            result.skipped.append(f"drawing {i + 1} ({label!r}): {error}")
    try:
        for start in range(0, len(keep), chunk):
            if cancel is not None and cancel():
                result.cancelled = True
                break
            part = keep[start : start + chunk]
            result.ids += store.add_many(
                [drawings[i] for i in part],
                [labels[i] for i in part],
                [sources[i] for i in part],
            )
            if progress is not None:
                progress(len(result.ids), len(keep))
    except BaseException:
        store.delete_many(result.ids)
        raise
    if result.cancelled:
        store.delete_many(result.ids)
        result.ids = []
    return result
