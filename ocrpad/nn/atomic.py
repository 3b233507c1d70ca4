"""Atomic writes of ``.npz`` files, and the clean-up after those that were killed half-way.

A file is written under a hidden temp name beside it (``.NAME.<random>.tmp``), locked while
its writer lives, fsynced and renamed over the target: it is either wholly there or not at all.
A file that must replace none (``write_npz_anew``) is hard-linked to the first free name instead.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

try:  # POSIX only; elsewhere an open file cannot be deleted, which is protection enough
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _read_umask() -> int:
    """The process's file-creation mask (reading it means setting it, so set it straight back).

    Read once, at import, so that no later thread can see the temporary value.
    """
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK: Final = _read_umask()
TEMP_SUFFIX: Final = ".tmp"


def temp_prefix(name: str) -> str:
    """How the hidden temp file of an atomic write of the file `name` begins."""
    return f".{name}."


def write_npz_atomically(
    target: Path,
    arrays: Mapping[str, NDArray[Any]],
    *,
    compress: bool = False,
    before_rename: Callable[[], None] | None = None,
) -> None:
    """Write ``arrays`` as one ``.npz`` that is either wholly there or not at all: a temp file
    in the same folder, fsync, ``os.replace``, then the folder's fsync where possible.
    A target that is a folder raises IsADirectoryError naming it (the rename would have
    failed naming the temp file). ``before_rename`` is called once the temp file is written:
    an exception it raises (a Cancel) removes the temp file and leaves ``target`` as it was."""
    tmp_name = _write_temp(target, arrays, compress)
    try:
        if before_rename is not None:
            before_rename()
        Path(tmp_name).replace(target)
    except BaseException as exc:
        _drop_temp(tmp_name, exc, target)
        raise
    _sync_folder(target.parent)


def write_npz_anew(
    names: Iterable[Path], arrays: Mapping[str, NDArray[Any]], *, compress: bool = False
) -> Path:
    """Write ``arrays`` as one ``.npz`` under the first of ``names`` (all in one folder) that
    no file has, as `write_npz_atomically` does but never replacing a file: the finished temp
    file is hard-linked to the name, which fails if another writer took it meanwhile (two
    ocrpads closing in the same second), and the next name is tried. Returns the name."""
    candidates = iter(names)
    first = next(candidates)
    tmp_name = _write_temp(first, arrays, compress)
    try:
        for target in itertools.chain([first], candidates):
            if _claim(Path(tmp_name), target):
                break
        else:
            raise FileExistsError(errno.EEXIST, "every name offered is taken", str(first))
    except BaseException as exc:
        _drop_temp(tmp_name, exc, first)
        raise
    _sync_folder(target.parent)
    return target


def _claim(tmp: Path, target: Path) -> bool:
    """Give the finished ``tmp`` the name ``target`` unless a file has it; False if one has.
    Where hard links are not supported (FAT), the name is reserved by creating it exclusively
    and the temp file then renamed over that empty file of its own."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            return False
        tmp.replace(target)
        return True
    tmp.unlink()
    return True


def _write_temp(target: Path, arrays: Mapping[str, NDArray[Any]], compress: bool) -> str:
    """The arrays written, flushed and fsynced to a new locked temp file beside ``target``."""
    if target.is_dir():
        problem = "a folder, not a file: name a file in it"
        raise IsADirectoryError(errno.EISDIR, problem, str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=temp_prefix(target.name), suffix=TEMP_SUFFIX, dir=target.parent
        )
    except OSError as exc:
        raise _naming(exc, target) from exc
    savez = np.savez_compressed if compress else np.savez
    try:
        _lock(fd)  # while this process lives, remove_abandoned_temp_files leaves the file alone
        Path(tmp_name).chmod(0o666 & ~_UMASK)  # mkstemp makes 0600; these are ordinary files
        with os.fdopen(fd, "wb") as f:
            savez(f, **arrays)  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
    except BaseException as exc:
        _drop_temp(tmp_name, exc, target)
        raise
    return tmp_name


def _drop_temp(tmp_name: str, error: BaseException, target: Path) -> None:
    """Remove the temp file after ``error``; an OSError about it is raised naming ``target``."""
    with contextlib.suppress(OSError):
        Path(tmp_name).unlink()
    if isinstance(error, OSError) and error.filename in (None, tmp_name):
        raise _naming(error, target) from error


def _sync_folder(folder: Path) -> None:
    """Make a rename or link in ``folder`` durable where possible."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _naming(error: OSError, target: Path) -> OSError:
    """The same error (same class: PermissionError, a full disk …) naming the file the user
    asked for, not the hidden temp file it was being written through."""
    return type(error)(error.errno, error.strerror, str(target))


def _lock(fd: int) -> None:
    """An advisory lock on the temp file, released by the system when the process dies."""
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_abandoned_temp_files(
    folder: Path,
    min_age_s: float = 2.0,
    *,
    of: str | None = None,
    like: Iterable[str] = (),
) -> list[Path]:
    """Delete the temp files of atomic writes that died half-way (a killed Keep or export)
    in ``folder``; returns them. ``of``: only those of writes of the file of that name, and
    ``like``: of the files whose names match these glob patterns (``unsaved-*.npz``) — in a
    folder other programs share, their hidden ``*.tmp`` files are not ours. Neither given:
    every ``.*.tmp``, in a folder that is ocrpad's alone. A temp file still locked by a
    living writer, or younger than ``min_age_s``, is left alone (on Windows an open file
    cannot be deleted anyway)."""
    removed: list[Path] = []
    now = time.time()
    starts = [temp_prefix(pattern) for pattern in like]
    if of is not None:
        starts.append(glob.escape(temp_prefix(of)))
    try:
        found = {p for start in starts or ["."] for p in folder.glob(f"{start}*{TEMP_SUFFIX}")}
    except OSError:
        return removed
    candidates = sorted(found)
    for path in candidates:
        try:
            if path.is_symlink() or not path.is_file() or now - path.stat().st_mtime < min_age_s:
                continue
            with path.open("rb") as f:  # a living writer holds its lock (POSIX)
                if fcntl is not None:
                    fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            path.unlink()  # once ours is shut: Windows deletes no open file (temp names are new)
            removed.append(path)
        except OSError:
            continue  # locked by a living writer, or not ours to remove
    return removed
