"""The shared stroke-array ``.npz`` format: reading and importing it here, exporting it (and PNG
folders) in ``samples_export``, whose functions this module offers too.

The ``.npz`` layout is the one of ``../shared/data`` (see its README): ``points`` (P, 2) float32,
``stroke_offsets`` (S+1,) int64, ``sample_stroke_offsets`` (N+1,) int64, ``labels`` (N,) int16
indexing ``mapping`` (M,) str, ``images`` (N, 28, 28) uint8, ``writer`` / ``contributor`` (N,)
str and ``suspect`` (N,) bool. ocrpad adds ``source`` (N,) str, where each drawing came from
(``prompt``, ``free``, ``correction``, ``import``); files without it import as ``import``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, cast

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.samples import (
    SOURCES,
    SampleStore,
    Source,
    Strokes,
    validate_label,
    validate_strokes,
)
from ocrpad.data.samples_export import (
    STANDARD_MAPPING,
    check_not_the_store,
    export_drawings,
    export_drawings_anew,
    export_mapping,
    export_npz,
    export_png_folders,
    folder_name,
    samples_to_arrays,
)
from ocrpad.files import check_regular_file
from ocrpad.nn.serialization import ARCHIVE_ERRORS, check_npz_size

__all__ = [
    "NPZ_KEYS",
    "STANDARD_MAPPING",
    "USER_IMPORT",
    "ImportLimits",
    "ImportResult",
    "check_not_the_store",
    "export_drawings",
    "export_drawings_anew",
    "export_mapping",
    "export_npz",
    "export_png_folders",
    "folder_name",
    "import_npz",
    "read_npz_sources",
    "read_npz_strokes",
    "samples_to_arrays",
]

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
    # all drawings together, empty strokes included: each costs an array (~100 bytes) when read
    strokes: int = 1_000_000
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
    if limits is not None:  # by the arrays' lengths alone, before any work per stroke
        _check_limits(
            path,
            ("drawings", data["sample_stroke_offsets"].size - 1, limits.samples),
            ("strokes", data["stroke_offsets"].size - 1, limits.strokes),
            ("points", len(data["points"]), limits.points),
        )
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
        per_drawing = np.diff(strokes_at[samples_at])  # (N,) points of each drawing
        most_strokes = int(np.diff(samples_at).max(initial=0))
        _check_limits(
            path,
            ("points in one drawing", int(per_drawing.max(initial=0)), limits.points_per_drawing),
            ("strokes in one drawing", most_strokes, limits.strokes_per_drawing),
        )
    strokes = [points[a:b] for a, b in itertools.pairwise(strokes_at)]
    drawings = [tuple(strokes[a:b]) for a, b in itertools.pairwise(samples_at)]
    return drawings, [mapping[i] for i in labels]


def _check_limits(path: str | Path, *counts: tuple[str, int, int]) -> None:
    """ValueError naming the first ``(what, value, limit)`` whose value is over its limit."""
    for what, value, limit in counts:
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
    All of them are saved in one transaction (``SampleStore.batch``), ``chunk`` drawings at a
    time, calling ``progress(done, total)`` after each chunk and ``cancel()`` before each and
    before the commit. If ``cancel()`` turns True (``result.cancelled``), a save fails (raises)
    or the process dies, the transaction is rolled back: the store ends as it began, even while
    another program holds its lock. With ``keep_sources``, drawings keep the source the file
    records for them (see ``read_npz_sources``), which is how a rescued drawing comes back as
    what it was.
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
    cancelled = cancel or (lambda: False)
    if not keep:
        return result
    try:
        with store.batch() as batch:
            for start in range(0, len(keep), chunk):
                if cancelled():
                    raise _CancelledError
                part = keep[start : start + chunk]
                result.ids += batch.add_many(
                    [drawings[i] for i in part],
                    [labels[i] for i in part],
                    [sources[i] for i in part],
                )
                if progress is not None:
                    progress(len(result.ids), len(keep))
            if cancelled():  # a Cancel during the last chunk still takes it all back
                raise _CancelledError
    except _CancelledError:
        result.cancelled, result.ids = True, []
    return result


class _CancelledError(Exception):
    """Raised inside an import's transaction when the user cancels: it rolls it back."""
