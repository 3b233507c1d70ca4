"""Reader for the shared UNIPEN `.npz` stroke format (see ../shared/data/README.md).

A `StrokeDataset` keeps the flat layout of the file: all points in one (P, 2) array, stroke
boundaries and sample boundaries as offset arrays; `strokes(i)` slices one sample out.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ocrpad.files import check_regular_file
from ocrpad.nn.serialization import ARCHIVE_ERRORS, check_npz_size
from ocrpad.preprocess import DEFAULT_PARAMS, RenderParams, render_batch

IntArray = NDArray[np.int64]

REQUIRED_KEYS = ("points", "stroke_offsets", "sample_stroke_offsets", "labels", "mapping")
MAX_FILE_BYTES = 2 << 30
"""The most a stroke file may hold uncompressed: the shared training file holds 111 MB (88k
drawings), so this is room for twenty times as many, and a file that claims more (or a
decompression bomb) is refused before anything is unpacked."""
_READ_ERRORS: tuple[type[BaseException], ...] = (ValueError, *ARCHIVE_ERRORS)


class DatasetFileError(ValueError):
    """A stroke data file is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class StrokeDataset:
    """N samples of strokes in the flat layout of the shared `.npz` files.

    points: (P, 2) float32 x, y (y down); stroke_offsets: (S+1,) int64 into points;
    sample_offsets: (N+1,) int64 into strokes; labels: (N,) int64 into mapping;
    writers: (N,) str; images: (N, 28, 28) uint8 reference renderings or None.
    """

    points: NDArray[np.float32]
    stroke_offsets: IntArray
    sample_offsets: IntArray
    labels: IntArray
    mapping: list[str]
    writers: NDArray[np.str_]
    images: NDArray[np.uint8] | None = None
    checksum: str = ""
    source: str = field(default="", compare=False)

    def __len__(self) -> int:
        return len(self.labels)

    def flat(self, i: int) -> tuple[NDArray[np.float32], IntArray]:
        """Sample i as (points (k, 2) float32, offsets (s+1,) int64 starting at 0)."""
        s0, s1 = int(self.sample_offsets[i]), int(self.sample_offsets[i + 1])
        offs = self.stroke_offsets[s0 : s1 + 1]
        return self.points[offs[0] : offs[-1]], offs - offs[0]

    def strokes(self, i: int) -> list[NDArray[np.float32]]:
        """Sample i as a list of (k, 2) float32 strokes."""
        points, offs = self.flat(i)
        return [points[a:b] for a, b in itertools.pairwise(offs)]

    def characters(self) -> list[str]:
        """The label of every sample as its character."""
        return [self.mapping[k] for k in self.labels]

    def render_all(
        self,
        params: RenderParams = DEFAULT_PARAMS,
        indices: Sequence[int] | NDArray[np.integer[Any]] | None = None,
    ) -> NDArray[np.float32]:
        """Render samples (all by default) with `render_strokes`' pipeline → (N, 28, 28)."""
        idx = np.arange(len(self)) if indices is None else np.asarray(indices)
        return render_batch(self.points, self.stroke_offsets, self.sample_offsets, idx, params)

    def subset(self, indices: Sequence[int] | NDArray[np.integer[Any]]) -> StrokeDataset:
        """A new dataset holding samples `indices` (in that order), re-packed."""
        idx = np.asarray(indices, dtype=np.int64)
        s_start, s_stop = self.sample_offsets[idx], self.sample_offsets[idx + 1]
        strokes = _ranges(s_start, s_stop)  # stroke ids kept, in order
        p_start, p_stop = self.stroke_offsets[strokes], self.stroke_offsets[strokes + 1]
        points = self.points[_ranges(p_start, p_stop)]
        stroke_offsets = np.concatenate([[0], np.cumsum(p_stop - p_start)]).astype(np.int64)
        sample_offsets = np.concatenate([[0], np.cumsum(s_stop - s_start)]).astype(np.int64)
        return StrokeDataset(
            points=points,
            stroke_offsets=stroke_offsets,
            sample_offsets=sample_offsets,
            labels=self.labels[idx],
            mapping=list(self.mapping),
            writers=self.writers[idx],
            images=None if self.images is None else self.images[idx],
            checksum=self.checksum,
            source=self.source,
        )


def _ranges(starts: IntArray, stops: IntArray) -> IntArray:
    """Concatenation of arange(start, stop) for each pair, vectorised: (sum(lengths),) int64."""
    lengths = stops - starts
    total = int(lengths.sum())
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    out: IntArray = (np.arange(total, dtype=np.int64) + shift).astype(np.int64)
    return out


def file_checksum(path: str | Path) -> str:
    """sha256 hex digest of a file's bytes (recorded in model metadata)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_unipen(path: str | Path, *, images: bool = True) -> StrokeDataset:
    """Read one shared-format `.npz` (strokes + labels + mapping; writers/images optional).

    Raises DatasetFileError naming the file and the problem.
    """
    path = Path(path)
    try:
        # a handle of our own is closed even when numpy gives up mid-file
        with check_regular_file(path).open("rb") as handle:
            if handle.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):  # an .npz is a zip
                hint = (
                    "; EMNIST's CSV copies are not read: use its IDX or MATLAB files"
                    if path.suffix.lower() == ".csv"
                    else ""
                )
                raise DatasetFileError(f"{path}: not a stroke file (.npz, a zip of arrays){hint}")
            handle.seek(0)
            check_npz_size(handle, MAX_FILE_BYTES)
            handle.seek(0)
            npz = np.load(handle, allow_pickle=False)
            missing = [k for k in REQUIRED_KEYS if k not in npz.files]
            if missing:
                raise DatasetFileError(f"{path}: missing arrays {missing}")
            arrays = {k: npz[k] for k in npz.files if images or k != "images"}
    except DatasetFileError:
        raise
    except _READ_ERRORS as exc:
        raise DatasetFileError(f"{path}: cannot read stroke data ({exc})") from exc
    except MemoryError as exc:
        raise DatasetFileError(f"{path}: too large to read into memory") from exc
    n = arrays["labels"].size
    if n == 0:
        raise DatasetFileError(f"{path}: the file holds no drawings")
    writers = arrays.get("writer", np.full(n, "unknown"))
    _check_arrays(path, arrays["points"], arrays["mapping"], writers, n)
    try:
        data = StrokeDataset(
            points=np.ascontiguousarray(arrays["points"], dtype=np.float32),
            stroke_offsets=_integers(arrays["stroke_offsets"]),
            sample_offsets=_integers(arrays["sample_stroke_offsets"]),
            labels=_integers(arrays["labels"]),
            mapping=[str(c) for c in arrays["mapping"]],
            writers=writers.astype(np.str_),
            images=arrays.get("images"),
            checksum=file_checksum(path),
            source=str(path),
        )
    except (ValueError, TypeError) as exc:
        raise DatasetFileError(f"{path}: an array has the wrong kind of values ({exc})") from exc
    _validate(data, path)
    return data


def _check_arrays(
    path: Path, points: NDArray[Any], mapping: NDArray[Any], writers: NDArray[Any], n: int
) -> None:
    """DatasetFileError naming the first of these arrays whose shape or kind is wrong: points
    (P, 2) real numbers, mapping (M,) text, writer (N,) one entry a drawing (text or numbers)."""
    if points.ndim != 2 or points.shape[1] != 2:
        raise DatasetFileError(f"{path}: points must be (P, 2) x, y, not {points.shape}")
    if points.dtype.kind not in "iuf":
        raise DatasetFileError(f"{path}: points must be real numbers, not {points.dtype}")
    if mapping.ndim != 1 or mapping.dtype.kind != "U":
        raise DatasetFileError(
            f"{path}: mapping must be one row of text, each label's character, not "
            f"{mapping.dtype} {mapping.shape}"
        )
    if writers.ndim != 1 or len(writers) != n or writers.dtype.kind not in "USiu":
        raise DatasetFileError(
            f"{path}: writer must be one row, one name for each of the {n} drawings, not "
            f"{writers.dtype} {writers.shape}"
        )


def _integers(array: NDArray[Any]) -> IntArray:
    """A 1-D integer array as int64; ValueError for floats, strings or another shape."""
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"expected whole numbers in one row, got {array.dtype} {array.shape}")
    return array.astype(np.int64)


def _validate(data: StrokeDataset, path: Path) -> None:
    """Check offsets, label range and lengths; raise DatasetFileError naming the damage."""
    n, so, sso = len(data.labels), data.stroke_offsets, data.sample_offsets
    problems = []
    if len(sso) != n + 1 or (n and (sso[0] != 0 or sso[-1] != len(so) - 1)):
        problems.append("sample_stroke_offsets do not match labels / stroke_offsets")
    if len(so) == 0 or so[0] != 0 or so[-1] != len(data.points):
        problems.append("stroke_offsets do not span points")
    if np.any(np.diff(so) < 0) or np.any(np.diff(sso) < 0):
        problems.append("offsets are not increasing")
    if n and (data.labels.min() < 0 or data.labels.max() >= len(data.mapping)):
        problems.append("labels outside mapping")
    if data.images is not None and data.images.shape[0] != n:
        problems.append("image count differs from labels")
    if not np.isfinite(data.points).all():
        problems.append("points are not all finite (NaN or infinite coordinates)")
    if problems:
        raise DatasetFileError(f"{path}: " + "; ".join(problems))


def split_by_writer(
    writers: NDArray[np.str_], fraction: float, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Hold out about `fraction` of the samples, whole writers at a time → (keep, held_out).

    At least one writer is always kept: holding out every writer would leave nothing to learn
    from. So with `fraction` > 0 and two or more writers at least one is held out, and with a
    single writer none is (the caller decides whether it can do without validation)."""
    names = np.unique(writers)
    count = min(max(1, round(len(names) * fraction)), len(names) - 1)
    chosen = rng.permutation(len(names))[: max(count, 0)]
    held = np.isin(writers, names[chosen]) if fraction > 0 else np.zeros(len(writers), bool)
    return np.flatnonzero(~held).astype(np.int64), np.flatnonzero(held).astype(np.int64)
