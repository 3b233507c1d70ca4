"""The rehearsal set: a few training drawings per class, shipped beside the weights.

Fine-tuning mixes them into every batch so that the model keeps what it knew while it adapts
to the user's handwriting. The file ``weights/rehearsal.npz`` uses the shared stroke-array
format (``points``, ``stroke_offsets``, ``sample_stroke_offsets``, ``labels``, ``mapping``,
``writer``): strokes, not pictures, so that they are rendered by the same pipeline as the
model's inputs. Build it with ``python -m ocrpad.devtools.make_rehearsal``.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.samples import Strokes
from ocrpad.data.samples_io import read_npz_strokes
from ocrpad.files import check_regular_file
from ocrpad.learning.cancel import CancelFn, stop_if
from ocrpad.preprocess import RenderParams, render_strokes
from ocrpad.resources import weights_dir

REHEARSAL_NAME: Final = "rehearsal.npz"

Renderer = Callable[[Strokes], NDArray[np.float32]]


def default_rehearsal_path() -> Path:
    return weights_dir() / REHEARSAL_NAME


@dataclass(frozen=True)
class Rehearsal:
    """Rendered rehearsal drawings: ``images`` (R, 1, 28, 28) float32, ``labels`` (R,) str."""

    images: NDArray[np.float32]
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)


def rehearsal_file(path: str | Path | None, *, shipped: bool = False) -> Path | None:
    """The rehearsal file a fine-tune is to read, checked; None for none.

    Only the ``shipped`` one (beside the weights) may be absent: a build without it fine-tunes
    without rehearsal. A path the caller names must be a file: a mistyped one would otherwise
    fine-tune without rehearsal unnoticed (the model forgets more). Raises FileNotFoundError
    for a missing named file, ValueError for a folder, pipe or device (either one naming it).
    """
    if path is None:
        return None
    try:
        return check_regular_file(path)
    except FileNotFoundError:
        if shipped:
            return None
        raise FileNotFoundError(errno.ENOENT, "no such rehearsal file", str(path)) from None
    except OSError as error:
        raise ValueError(f"the rehearsal file {path} is {error.strerror}") from error


def load_rehearsal(path: str | Path | None, render: Renderer) -> Rehearsal | None:
    """Read and render the rehearsal file; None when there is none (``path`` None or missing).

    A drawing that cannot be rendered (empty, or NaN coordinates) raises ValueError naming
    the file and the drawing: the file ships beside the weights, so a damaged one is to be
    replaced, not to shrink unnoticed."""
    if path is None or not Path(path).is_file():
        return None
    drawings, labels = read_npz_strokes(path)
    if not drawings:
        return None
    images = np.stack([_render_one(path, render, d, i) for i, d in enumerate(drawings)])
    return Rehearsal(images[:, None].astype(np.float32), tuple(labels))  # (R, 1, 28, 28)


def _render_one(
    path: str | Path, render: Renderer, drawing: Strokes, index: int
) -> NDArray[np.float32]:
    try:
        return render(drawing)
    except ValueError as error:
        raise ValueError(f"{path}: rehearsal drawing {index} is damaged: {error}") from error


_FileKey = tuple[str, int, int, RenderParams]  # resolved path, size, mtime (ns), rendering
_rendered: dict[_FileKey, Rehearsal] = {}  # at most one entry: the file last rendered
_rendering = threading.Lock()


def _file_key(path: str | Path, params: RenderParams) -> _FileKey | None:
    try:
        status = Path(path).resolve().stat()
    except OSError:
        return None
    return (str(Path(path).resolve()), status.st_size, status.st_mtime_ns, params)


def rendered_rehearsal(
    path: str | Path | None, params: RenderParams, cancel: CancelFn | None = None
) -> Rehearsal | None:
    """``load_rehearsal`` rendered at ``params``, kept for the rest of the process while the
    file is unchanged (same size and modification time): every fine-tune of a session mixes
    in the same ~4,700 drawings, which took a quarter of a 100-drawing fine-tune to render.
    The images are read-only (shared by every caller). None when there is no file.
    ``cancel`` is asked before each drawing is rendered: ``Cancelled`` keeps nothing."""
    key = None if path is None else _file_key(path, params)
    if key is None:
        return None

    def render(strokes: Strokes) -> NDArray[np.float32]:
        stop_if(cancel)
        return render_strokes(strokes, params)

    with _rendering:  # a second thread asking meanwhile waits for this rendering
        kept = _rendered.get(key)
        if kept is None:
            kept = load_rehearsal(path, render)
            if kept is None:
                return None
            kept.images.flags.writeable = False
            _rendered.clear()
            _rendered[key] = kept
        return kept


def rehearsal_to_render(path: str | Path | None, params: RenderParams) -> int:
    """How many rehearsal drawings a fine-tune would still have to render (0 when
    ``rendered_rehearsal`` already holds them)."""
    key = None if path is None else _file_key(path, params)
    if key is None:
        return 0
    with _rendering:
        return 0 if key in _rendered else rehearsal_count(path)


def rehearsal_count(path: str | Path | None) -> int:
    """How many drawings a rehearsal file holds (0 when there is none or it is unreadable),
    without rendering them."""
    if path is None or not Path(path).is_file():
        return 0
    try:
        with np.load(path, allow_pickle=False) as data:
            return int(data["labels"].shape[0])
    except (OSError, ValueError, KeyError):
        return 0


def pick_rehearsal(
    labels: NDArray[np.integer], suspect: NDArray[np.bool_], per_class: int, seed: int
) -> NDArray[np.int64]:
    """Indices of up to ``per_class`` random non-suspect samples of every class, sorted."""
    rng = np.random.default_rng(seed)
    chosen: list[NDArray[np.int64]] = []
    for label in np.unique(labels):
        pool = np.flatnonzero((labels == label) & ~suspect)
        chosen.append(rng.choice(pool, size=min(per_class, len(pool)), replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def write_rehearsal(
    source: str | Path | Sequence[str | Path], target: str | Path, per_class: int, seed: int
) -> int:
    """Copy ``per_class`` drawings of every class from one or more shared-format files (e.g.
    UNIPEN's letters and digits, then its symbols); returns the count."""
    sources = [source] if isinstance(source, (str, Path)) else list(source)
    mapping: list[str] = []
    points: list[NDArray[np.float32]] = []
    lengths: list[int] = []
    counts: list[int] = []
    labels: list[str] = []
    writers: list[str] = []
    for path in sources:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k]) for k in data.files if k != "images"}
        chars = [str(c) for c in arrays["mapping"]]
        mapping += [c for c in chars if c not in mapping]
        picked = pick_rehearsal(arrays["labels"], arrays["suspect"], per_class, seed)
        stroke_at, sample_at = arrays["stroke_offsets"], arrays["sample_stroke_offsets"]
        for i in picked:
            first, last = stroke_at[sample_at[i]], stroke_at[sample_at[i + 1]]
            origin = arrays["points"][first:last].min(axis=0)  # small numbers compress better
            counts.append(int(sample_at[i + 1] - sample_at[i]))
            for k in range(sample_at[i], sample_at[i + 1]):
                stroke = arrays["points"][stroke_at[k] : stroke_at[k + 1]] - origin
                points.append(stroke.astype(np.float32))
                lengths.append(len(stroke))
            labels.append(chars[int(arrays["labels"][i])])
            writers.append(str(arrays["writer"][i]))
    index = {c: i for i, c in enumerate(mapping)}
    np.savez_compressed(
        target,
        points=np.concatenate(points),
        stroke_offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        sample_stroke_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        labels=np.array([index[c] for c in labels], dtype=np.int16),
        mapping=np.array(mapping),
        writer=np.array(writers),
    )
    return len(labels)
