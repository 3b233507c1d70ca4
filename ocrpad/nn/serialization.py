"""Model files: one ``.npz`` of arrays by dotted key plus a ``__meta__`` JSON string.

Saving is atomic (temp file in the same folder, fsync, ``os.replace``). Loading never
unpickles (``allow_pickle=False``) and raises :class:`ModelFileError` naming the file and the
damage for empty, truncated, non-zip, pickle-bearing, non-numeric or non-finite content.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tokenize
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.nn.atomic import write_npz_atomically

META_KEY: Final = "__meta__"
MAX_FILE_BYTES: Final = 512 * 1024 * 1024
"""The most a model file may hold once uncompressed (the shipped one: under 2 MB). Checked
from the archive's directory and each array's header before any array is read, so a
decompression bomb or a header claiming a huge shape costs no memory."""


MAX_ITEMSIZE: Final = 8  # bytes a value: float64, the widest type a model array may have
MAX_NPY_HEADER: Final = 65_546  # the longest header of a version 1 ``.npy`` (magic + 65,535)

MAX_META_DEPTH: Final = 64
"""How deep the metadata may nest lists and objects (the shipped model's: 7). A file
nested hundreds deep parsed, but copying its model (``copy.deepcopy``) then overflowed
Python's recursion limit in every copy, explanation and fine-tune."""


def _archive_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [
        zipfile.BadZipFile,
        OSError,
        EOFError,
        zlib.error,  # a damaged deflate stream
        NotImplementedError,  # a member compressed by a method zipfile cannot undo
        RuntimeError,  # a member flagged as encrypted; an LZMA member where lzma is missing
        tokenize.TokenError,  # an array header cut off inside a bracket (NumPy tokenizes it)
        SyntaxError,  # an array header NumPy cannot parse as a Python literal
    ]
    with contextlib.suppress(ImportError):  # the app's bundle leaves lzma out
        import lzma

        errors.append(lzma.LZMAError)  # a damaged LZMA stream
    return tuple(errors)


ARCHIVE_ERRORS: Final = _archive_errors()
"""What reading a damaged or foreign zip archive's members can raise besides ValueError."""
_MEMBER_ERRORS: Final[tuple[type[BaseException], ...]] = (*ARCHIVE_ERRORS, KeyError)
_HEADER_ERRORS: Final[tuple[type[BaseException], ...]] = (*ARCHIVE_ERRORS, TypeError)


MAX_LISTED: Final = 10
"""Messages name at most this many keys of one kind, then say how many more there are."""


def listing(names: Sequence[str], limit: int = MAX_LISTED) -> str:
    """``names`` joined by commas, at most ``limit`` of them and then how many more (a file
    with 20,000 stray entries gets a message one can read)."""
    shown = ", ".join(names[:limit])
    more = len(names) - limit
    return f"{shown} and {more:,} more" if more > 0 else shown


class ModelFileError(ValueError):
    """A model file is missing, damaged or foreign; the message names the file and the damage."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        super().__init__(f"{os.fspath(path)}: {problem}")
        self.path = Path(path)
        self.problem = problem


class ModelFileMissingError(ModelFileError, FileNotFoundError):
    """No model file at the path: a ModelFileError, and a FileNotFoundError for who asks."""

    __str__ = ValueError.__str__  # as a ModelFileError says it, not as "[Errno 2] …"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, "no such file")
        self.errno, self.filename, self.strerror = errno.ENOENT, os.fspath(path), "no such file"


def save_arrays(
    path: str | os.PathLike[str], arrays: Mapping[str, NDArray[Any]], meta: Mapping[str, Any]
) -> None:
    """Write ``arrays`` and ``meta`` (JSON-serialisable) to ``path`` atomically.

    Raises ValueError, writing nothing, if an array holds NaN or infinite values: such a file
    would be refused on loading, and it would replace a good one.
    """
    if not os.fspath(path):  # Path("") would be "." and fail as the folder, confusingly
        raise FileNotFoundError(errno.ENOENT, "no file name given (the path is empty)", "")
    if META_KEY in arrays:
        raise ValueError(f"{META_KEY!r} is reserved for the metadata")
    broken = non_finite(arrays)
    if broken:
        raise ValueError(
            f"not saved to {os.fspath(path)}: NaN or infinite values in {', '.join(broken)}"
        )
    payload: dict[str, NDArray[Any]] = {k: np.asarray(v) for k, v in arrays.items()}
    payload[META_KEY] = np.array(json.dumps(dict(meta), sort_keys=True))
    write_npz_atomically(Path(path), payload)


def non_finite(arrays: Mapping[str, NDArray[Any]]) -> list[str]:
    """The keys of the arrays holding NaN or infinite values (`save_arrays` refuses those)."""
    return [key for key, value in arrays.items() if not _finite(np.asarray(value))]


def _finite(array: NDArray[Any]) -> bool:
    """Whether a floating-point array holds no NaN or infinity (other kinds always do)."""
    return not np.issubdtype(array.dtype, np.inexact) or bool(np.all(np.isfinite(array)))


Expected = Callable[[dict[str, Any]], Mapping[str, tuple[int, ...]]]
"""Given a file's metadata, the arrays it may hold: key -> shape (raises ModelFileError)."""


def load_arrays(
    path: str | os.PathLike[str], expect: Expected | None = None
) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """Read a model file -> (arrays by key, meta dict). Raises :class:`ModelFileError`.

    With ``expect``, the metadata is read first, and a member it does not name, or one larger
    than its shape allows, is refused from the archive's directory before any array is read
    (a 500 MB member of zeros deflates to 0.5 MB)."""
    p = Path(path)
    if not p.is_file():  # a pipe would block the read, a folder cannot be one
        if not p.exists():
            raise ModelFileMissingError(p)
        raise ModelFileError(p, "not a regular file (a folder, a pipe or a device)")
    try:  # opened first: zipfile.is_zipfile calls a file it may not read "not a zip archive"
        f = p.open("rb")
    except OSError as exc:
        raise ModelFileError(p, f"cannot be read ({reason(exc)})") from exc
    with f:
        if os.fstat(f.fileno()).st_size == 0:
            raise ModelFileError(p, "the file is empty")
        if not zipfile.is_zipfile(f):
            problem = "not an .npz model file (not a zip archive; truncated or foreign)"
            raise ModelFileError(p, problem)
        _check_sizes(p, f)
        arrays, meta = _read_npz(p, f, expect)
    for key, value in arrays.items():
        if not np.issubdtype(value.dtype, np.number) or np.issubdtype(
            value.dtype, np.complexfloating
        ):
            raise ModelFileError(p, f"array {key!r} has non-numeric dtype {value.dtype}")
        if not np.all(np.isfinite(value)):
            raise ModelFileError(p, f"array {key!r} contains NaN or infinite values")
    return arrays, meta


def reason(error: OSError) -> str:
    """What went wrong, in lower case and without the errno: "permission denied"."""
    text = error.strerror or str(error)
    return text[:1].lower() + text[1:]


def _read_npz(
    p: Path, f: IO[bytes], expect: Expected | None
) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """The arrays and the parsed metadata; the metadata is read (once) before any array, so
    that ``expect`` can refuse members from the archive's directory."""
    try:
        f.seek(0)
        with np.load(f, allow_pickle=False) as npz:
            if META_KEY not in npz.files:
                raise ModelFileError(p, f"no {META_KEY} entry (not an ocrpad model file)")
            meta = _parse_meta(p, npz[META_KEY])
            if expect is not None:
                _check_members(p, npz.zip.infolist(), expect(meta))
            return {key: npz[key] for key in npz.files if key != META_KEY}, meta
    except ModelFileError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "pickle" in str(exc).lower():
            raise ModelFileError(
                p, "holds a pickled object array (refused, never unpickled)"
            ) from exc
        raise ModelFileError(p, f"damaged array data ({exc})") from exc
    except _MEMBER_ERRORS as exc:
        raise ModelFileError(p, f"damaged or truncated archive ({exc})") from exc


def _check_members(
    p: Path, members: list[zipfile.ZipInfo], expected: Mapping[str, tuple[int, ...]]
) -> None:
    """Refuse, from the zip directory alone, members ``expected`` does not name and members
    larger than an array of their expected shape can be (at 8 bytes a value, plus a header)."""
    keys = [m.filename.removesuffix(".npy") for m in members]
    unexpected = [k for k in dict.fromkeys(keys) if k != META_KEY and k not in expected]
    if unexpected:
        raise ModelFileError(p, f"unexpected arrays: {listing(unexpected)}")
    for key, member in zip(keys, members, strict=True):
        if key == META_KEY:
            continue
        shape = expected[key]
        limit = int(np.prod(shape, dtype=np.int64)) * MAX_ITEMSIZE + MAX_NPY_HEADER
        if member.file_size > limit:
            raise ModelFileError(
                p, f"array {key!r} holds {member.file_size:,} bytes, more than shape {shape} can"
            )


def _check_sizes(p: Path, f: IO[bytes]) -> None:
    """Refuse archives whose members, or whose arrays' declared shapes, exceed the bounds."""
    try:
        f.seek(0)
        check_npz_size(f, MAX_FILE_BYTES)
    except ValueError as exc:
        raise ModelFileError(p, str(exc)) from exc


def check_npz_size(
    path: str | os.PathLike[str] | IO[bytes], limit: int, names: Iterable[str] = ()
) -> None:
    """Raise ValueError unless the ``.npz`` members (only ``names``' if given) hold at most
    ``limit`` bytes uncompressed and every array header claims no more data than its member
    holds. Reads only the zip directory and the ``.npy`` headers: a decompression bomb costs
    nothing."""
    wanted = {f"{n}.npy" for n in names}
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not wanted or m.filename in wanted]
            total = sum(m.file_size for m in members)
            if total > limit:
                raise ValueError(f"holds {total:,} bytes uncompressed (at most {limit:,})")
            for member in members:
                with archive.open(member) as f:
                    shape, dtype = _array_header(f)
                if float(np.prod(shape, dtype=np.float64)) * dtype.itemsize > member.file_size:
                    raise ValueError(f"{member.filename} claims more data than it holds")
    except _HEADER_ERRORS as exc:
        raise ValueError(f"damaged or truncated archive ({exc})") from exc


def _array_header(f: IO[bytes]) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """(shape, dtype) from the header of one ``.npy`` member, reading nothing else."""
    fmt = np.lib.format
    if fmt.read_magic(f) == (1, 0):
        shape, _, dtype = fmt.read_array_header_1_0(f)
    else:
        shape, _, dtype = fmt.read_array_header_2_0(f)
    return shape, dtype


def _parse_meta(p: Path, raw: NDArray[Any]) -> dict[str, Any]:
    if raw.shape != () or raw.dtype.kind != "U":
        raise ModelFileError(p, f"{META_KEY} is not a JSON string")
    try:
        meta = json.loads(str(raw[()]))
    except (ValueError, RecursionError) as exc:  # JSON errors; an integer of 5,000 digits
        raise ModelFileError(p, f"{META_KEY} is not valid JSON ({exc!r:.200})") from exc
    if not isinstance(meta, dict):
        raise ModelFileError(p, f"{META_KEY} is not a JSON object")
    if not _nested_within(meta, MAX_META_DEPTH):
        raise ModelFileError(
            p, f"{META_KEY} nests lists or objects more than {MAX_META_DEPTH} levels deep"
        )
    return meta


def _nested_within(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` nests lists and objects at most ``limit`` levels deep (the top
    object is level 1). Walked with a stack, not recursion, so no depth overflows it."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return True


def check_arrays(
    path: str | os.PathLike[str],
    arrays: Mapping[str, NDArray[Any]],
    expected: Mapping[str, tuple[int, ...]],
) -> None:
    """Raise :class:`ModelFileError` unless ``arrays`` has exactly the expected keys and shapes."""
    missing = [k for k in expected if k not in arrays]
    unexpected = [k for k in arrays if k not in expected]
    wrong = [
        f"{k} has shape {tuple(arrays[k].shape)}, expected {expected[k]}"
        for k in expected
        if k in arrays and tuple(arrays[k].shape) != tuple(expected[k])
    ]
    problems = wrong[:MAX_LISTED]
    if len(wrong) > MAX_LISTED:
        problems.append(f"{len(wrong) - MAX_LISTED:,} more mis-shaped arrays")
    if missing:
        problems.append(f"missing arrays: {listing(missing)}")
    if unexpected:
        problems.append(f"unexpected arrays: {listing(unexpected)}")
    if problems:
        raise ModelFileError(path, "; ".join(problems))
