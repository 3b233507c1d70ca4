"""Export the user's samples to the shared stroke-array ``.npz`` format (see ``samples_io``)
and to folders of 28x28 PNG pictures, one folder per character.

The ``.npz`` is written atomically (a temporary file renamed over the target, so a failed
export leaves an earlier file whole); the PNG folders only add new files, never writing over an
existing one nor through a link.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
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
    validate_strokes,
)
from ocrpad.files import same_file
from ocrpad.nn.atomic import write_npz_anew, write_npz_atomically

STANDARD_MAPPING: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PROGRESS_EVERY: Final = 250  # drawings between two calls of an export's ``progress``
Progress = Callable[[int, int], None]  # (drawings done, all of them)
Cancel = Callable[[], bool]  # True: stop the export (asked before each drawing)


class ExportCancelled(Exception):  # noqa: N818  (a request to stop, not an error)
    """An export's ``cancel`` said to stop: nothing was written, an earlier file is whole."""


def _stop_if(cancel: Cancel | None) -> None:
    if cancel is not None and cancel():
        raise ExportCancelled


def _pictures(
    store: SampleStore | None,
    samples: Sequence[Sample],
    progress: Progress | None,
    cancel: Cancel | None = None,
) -> Iterable[NDArray[np.uint8]]:
    """The samples' 28x28 pictures in order, ``progress(done, total)`` after every
    ``PROGRESS_EVERY`` of them and after the last; ExportCancelled as soon as ``cancel``
    says to stop."""
    for done, sample in enumerate(samples, 1):
        _stop_if(cancel)
        yield _image(store, sample)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(samples)):
            progress(done, len(samples))


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


def check_not_the_store(target: str | Path, store_path: str | Path) -> None:
    """ValueError if ``target`` is the sample store's file or one SQLite keeps beside it
    (``-journal``, ``-wal``, ``-shm``): a file written there replaces the open database and
    loses every drawing in it. The same file under another name (a link, another case) is
    found by ``Path.samefile`` where both exist, else by the resolved paths."""
    store = Path(store_path)
    for kept in (store, *(store.with_name(store.name + s) for s in ("-journal", "-wal", "-shm"))):
        if same_file(Path(target), kept):
            raise ValueError(
                f"{target} is where the sample store keeps your drawings ({kept.name}); "
                "writing there would destroy it: choose another file"
            )


def export_drawings(
    path: Path,
    drawings: Sequence[Strokes],
    labels: Sequence[str],
    sources: Sequence[Source] | None = None,
    *,
    store_path: Path | None = None,
) -> None:
    """Write drawings that are in no store (e.g. held in memory at close) to ``path``
    atomically, in the shared format; ``import_npz`` reads them back (with ``keep_sources``,
    each with its ``sources`` entry; without sources they count as imported). ValueError if
    ``path`` is the file of the store at ``store_path`` (see ``check_not_the_store``)."""
    if store_path is not None:
        check_not_the_store(path, store_path)
    write_npz_atomically(path, _drawing_arrays(drawings, labels, sources), compress=True)


def export_drawings_anew(
    names: Iterable[Path],
    drawings: Sequence[Strokes],
    labels: Sequence[str],
    sources: Sequence[Source] | None = None,
) -> Path:
    """As `export_drawings`, to the first of ``names`` that no file has, never replacing a
    file (another ocrpad may write one of those names in the same moment); returns it."""
    return write_npz_anew(names, _drawing_arrays(drawings, labels, sources), compress=True)


def _drawing_arrays(
    drawings: Sequence[Strokes], labels: Sequence[str], sources: Sequence[Source] | None
) -> dict[str, NDArray[np.generic]]:
    kinds: Sequence[Source] = sources if sources is not None else ["import"] * len(drawings)
    samples = [
        Sample(0, label, validate_strokes(d), 0.0, source)
        for d, label, source in zip(drawings, labels, kinds, strict=True)
    ]
    return samples_to_arrays(None, samples)


def samples_to_arrays(
    store: SampleStore | None,
    samples: Sequence[Sample],
    writer: str = "ocrpad-user",
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> dict[str, NDArray[np.generic]]:
    """Pack samples into the shared ``.npz`` arrays (see the module docstring); pictures come
    from ``store`` where it has them, else are drawn from the strokes (``progress(done,
    total)`` as they are read; ExportCancelled when ``cancel`` says to stop)."""
    strokes = [s for sample in samples for s in sample.strokes]
    points = np.concatenate(strokes) if strokes else np.zeros((0, 2), np.float32)
    lengths = [len(s) for s in strokes]
    per_sample = [len(sample.strokes) for sample in samples]
    mapping = export_mapping([s.label for s in samples])
    index = {c: i for i, c in enumerate(mapping)}
    n = len(samples)
    images = list(_pictures(store, samples, progress, cancel))
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


def export_npz(
    store: SampleStore,
    path: str | Path,
    writer: str = "ocrpad-user",
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> int:
    """Write every sample to ``path`` (atomically) in the shared format; returns the count.
    ``progress(done, total)`` as the pictures are read. ValueError if ``path`` is the store's
    own file (see ``check_not_the_store``); ExportCancelled, nothing written and an earlier
    ``path`` whole, when ``cancel`` says to stop (asked up to the rename into place)."""
    check_not_the_store(path, store.path)
    samples = store.samples()
    _stop_if(cancel)
    arrays = samples_to_arrays(store, samples, writer, progress, cancel)
    write_npz_atomically(Path(path), arrays, compress=True, before_rename=lambda: _stop_if(cancel))
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


def export_png_folders(
    store: SampleStore,
    folder: str | Path,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> int:
    """One sub-folder per class with ``<id>.png`` (28x28) files and a ``labels.tsv`` index
    (``progress(done, total)`` as the pictures are written; ExportCancelled, ``folder`` left
    as it was, when ``cancel`` says to stop before they are moved into place).

    Writes only new files inside ``folder``: a folder, file or link already there under a name
    the export needs is refused before anything is written (FileExistsError naming it), and no
    file is ever opened through a symbolic link. The pictures are written in a hidden folder
    inside ``folder`` and moved into place at the end, so an export that fails (a full disk)
    leaves ``folder`` as it was, and trying again works.
    """
    root = Path(folder)
    samples = store.samples()
    names = {label: folder_name(label) for label in sorted({s.label for s in samples})}
    if root.is_symlink():
        raise FileExistsError(f"{root} is a symbolic link; choose a real folder")
    taken = [root / n for n in [*names.values(), "labels.tsv"] if os.path.lexists(root / n)]
    if taken:
        raise FileExistsError(f"{taken[0]} already exists; choose an empty or new folder")
    made_root = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    work: Path | None = None
    done = False
    try:
        work = Path(tempfile.mkdtemp(prefix=".ocrpad-export-", dir=root))
        for name in names.values():
            (work / name).mkdir()
        for sample, image in zip(samples, _pictures(store, samples, progress, cancel), strict=True):
            _write_new(work / names[sample.label] / f"{sample.id}.png", encode_png(image))
        _stop_if(cancel)
        index = "".join(f"{name}\t{label}\n" for label, name in names.items())
        _move_into(
            work, root, list(names.values()), ("folder\tcharacter\n" + index).encode("utf-8")
        )
        done = True
    finally:
        if work is not None:  # empty after a success; the half-written pictures after a failure
            shutil.rmtree(work, ignore_errors=True)  # (links in it are removed, not followed)
        if made_root and not done:  # the export made the folder: it goes too, if still empty
            with contextlib.suppress(OSError):
                root.rmdir()
    return len(samples)


def _move_into(work: Path, root: Path, names: Sequence[str], index: bytes) -> None:
    """Move the finished class folders ``names`` from ``work`` into ``root``, then write the
    ``labels.tsv`` index there: all of them, or (after an error) none, what was moved going
    back into ``work``. (Renames within one file system write no data: a full disk is met
    while writing the pictures, not here.)"""
    moved: list[str] = []
    try:
        for name in names:
            if os.path.lexists(root / name):  # it appeared meanwhile
                raise FileExistsError(
                    f"{root / name} already exists; choose an empty or new folder"
                )
            (work / name).rename(root / name)
            moved.append(name)
        _write_new(root / "labels.tsv", index)
    except BaseException:
        for name in reversed(moved):
            with contextlib.suppress(OSError):
                (root / name).rename(work / name)
        raise


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (never an existing file, never through a link) and write ``data``; if
    the writing fails (a full disk), the half-written file is removed again."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
