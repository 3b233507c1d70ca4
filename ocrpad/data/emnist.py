"""Readers for the official MNIST / EMNIST IDX files (`*-idx3-ubyte[.gz]`, `*-idx1-ubyte[.gz]`).

IDX: two zero bytes, a type code, the number of dimensions, then one big-endian uint32 per
dimension and the data, big-endian. EMNIST stores each 28×28 image transposed (column-major);
`load_emnist(..., transposed=True)` turns them upright.

Users bring their own copies, so every problem is an IdxFormatError naming the file and saying
what is wrong; the data an IDX header promises is read (or unpacked) and no more, at most
MAX_IDX_BYTES.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.matfile import MatFileError, load_mat
from ocrpad.files import check_regular_file

IDX_TYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
DIGITS = [str(d) for d in range(10)]
BYCLASS = DIGITS + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
BYCLASS += [chr(c) for c in range(ord("a"), ord("z") + 1)]
MAX_LABEL = 65_535
"""The largest label number a mapping file may name (EMNIST's largest is 61)."""
MAX_IDX_BYTES: Final = 1 << 30
"""The most data an IDX file may promise in its header: 1 GiB. EMNIST's largest file (the
byclass training images, 697,932 × 28 × 28) holds 547 MB. Without a limit a damaged header, or
2 MB of gzip that unpacks to gigabytes, would cost that much memory and time before anything
could be said about it."""
MAX_IDX_DIMS: Final = 8
"""The most dimensions an IDX header may declare (images have 3, labels 1)."""
GZIP_MAGIC: Final = b"\x1f\x8b"
READ_CHUNK: Final = 1 << 20
"""Bytes read (or decompressed) at a time."""


class IdxFormatError(ValueError):
    """An IDX file is unreadable, truncated or not IDX at all."""


class MappingNeededError(IdxFormatError):
    """Labels above 9 read without a mapping: their characters cannot be known."""


@dataclass(frozen=True)
class ImageDataset:
    """Upright images (N, 28, 28) uint8 (white ink on black), labels (N,) int64, mapping."""

    images: NDArray[np.uint8]
    labels: NDArray[np.int64]
    mapping: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def either_case(self) -> frozenset[str]:
        """The capitals whose label stands for the letter in both cases: those the mapping
        gives without their small letter. EMNIST's letters split names every letter so ("1 65
        97": A or a, its mapping's first character the capital), and its balanced and bymerge
        splits the 15 whose cases look alike (c i j k l m o p s u v w x y z)."""
        return case_merged(self.mapping)

    def inputs(self) -> NDArray[np.float32]:
        """Network input (N, 1, 28, 28) float32 in [0, 1]."""
        return np.multiply(self.images[:, None], np.float32(1 / 255), dtype=np.float32)

    def characters(self) -> list[str]:
        """The label of every sample as its character."""
        return [self.mapping[k] for k in self.labels]


def read_idx(path: str | Path) -> NDArray[np.generic]:
    """Read one IDX file (gzipped or not, detected by content) → array in native byte order.

    The header is read first and only the data it promises is then read (or decompressed), at
    most MAX_IDX_BYTES: a damaged header or a gzip bomb is refused before it costs memory or
    time. Raises IdxFormatError naming the file and what is wrong with it.
    """
    path = Path(path)
    try:
        with check_regular_file(path).open("rb") as file:
            packed = file.peek(2)[:2] == GZIP_MAGIC
            size = None if packed else os.fstat(file.fileno()).st_size
            with gzip.GzipFile(fileobj=file, mode="rb") if packed else file as stream:
                return _read_idx_stream(path, stream, size)
    except (OSError, EOFError, zlib.error) as exc:
        raise IdxFormatError(f"{path}: cannot read ({exc})") from exc


def _read_idx_stream(
    path: Path, stream: io.BufferedIOBase, size: int | None
) -> NDArray[np.generic]:
    """The array in ``stream`` (positioned at the start; ``size``: the file's length, when
    not compressed, to call a file shorter than its header promises truncated at once)."""
    magic = _read_exactly(stream, 4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in IDX_TYPES:
        raise IdxFormatError(f"{path}: not an IDX file (bad magic number)")
    ndim = magic[3]
    if not 1 <= ndim <= MAX_IDX_DIMS:
        raise IdxFormatError(
            f"{path}: the header declares {ndim} dimensions (an IDX file has 1 to {MAX_IDX_DIMS})"
        )
    dims = _read_exactly(stream, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise IdxFormatError(f"{path}: truncated header")
    shape = tuple(int(d) for d in np.frombuffer(dims, ">u4"))
    dtype = np.dtype(IDX_TYPES[magic[2]])
    count = math.prod(shape)  # Python integers: no overflow to a small number
    nbytes = count * dtype.itemsize
    truncated = f"{path}: truncated data: expected {count} items of shape {shape}"
    if size is not None and size - 4 - 4 * ndim < nbytes:
        raise IdxFormatError(truncated)
    if nbytes > MAX_IDX_BYTES:
        raise IdxFormatError(
            f"{path}: the header promises {nbytes:,} bytes of data (shape {shape}); ocrpad "
            f"reads IDX files of at most {MAX_IDX_BYTES:,} bytes"
        )
    data = np.empty(count, dtype)
    if _read_into(stream, data.data.cast("B")) < nbytes:
        raise IdxFormatError(truncated)
    if stream.read(1):  # for gzip, reading on to the end also checks its checksum
        raise IdxFormatError(f"{path}: holds more data than its header promises (shape {shape})")
    return data.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _read_exactly(stream: io.BufferedIOBase, size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at the end of the stream."""
    buffer = bytearray(size)
    return bytes(buffer[: _read_into(stream, memoryview(buffer))])


def _read_into(stream: io.BufferedIOBase, target: memoryview) -> int:
    """Fill ``target`` from ``stream``; returns how many bytes came (fewer at its end). Reads
    in bounded pieces, so a gzip stream is decompressed only as far as ``target`` reaches."""
    filled = 0
    while filled < len(target):
        got = stream.readinto(target[filled : filled + READ_CHUNK])
        if not got:
            break
        filled += got
    return filled


def read_mapping(path: str | Path) -> list[str]:
    """An EMNIST `*-mapping.txt` (lines "label ascii_code …") → characters indexed by label.

    EMNIST "letters" starts at label 1: unused labels map to "". A label given twice, or a
    code that is not a printable character, is refused (IdxFormatError naming the file).
    """
    return mapping_chars([(row[0], row[1]) for row in _mapping_rows(path)])


def _mapping_rows(path: str | Path) -> list[list[int]]:
    """The numbers of each line of a mapping file: a label, then one or more character codes
    (IdxFormatError naming the file if it is not such a file)."""
    path = Path(path)
    try:
        lines = check_regular_file(path).read_text(encoding="ascii").splitlines()
        rows = [[int(w) for w in line.split()] for line in lines if line.strip()]
        if any(len(row) < 2 for row in rows):
            raise ValueError("a line without a character code")
        mapping_chars([(row[0], row[1]) for row in rows])
    except (OSError, ValueError) as exc:
        raise IdxFormatError(f"{path}: not an EMNIST mapping file ({exc})") from exc
    return rows


def case_merged(chars: Sequence[str]) -> frozenset[str]:
    """The capitals among a mapping's characters whose small letter it does not give: their
    label stands for the letter in either case (see `ImageDataset.either_case`)."""
    given = set(chars)
    return frozenset(c for c in given if c.lower() != c and c.lower() not in given)


def mapping_chars(pairs: Sequence[tuple[int, int]]) -> list[str]:
    """EMNIST's (label, character code) pairs → the characters indexed by label ("" for a label
    not given). ValueError saying what is wrong: no labels, a label given twice or outside
    0 … MAX_LABEL, or a code that is not one printable character."""
    chars_of: dict[int, str] = {}
    for label, code in pairs:
        if label in chars_of:
            raise ValueError(f"label {label} is given twice")
        if not 0 <= label <= MAX_LABEL:
            raise ValueError(f"label {label} is outside 0 … {MAX_LABEL}")
        if not 0 < code < 0x110000:
            raise ValueError(f"label {label} has code {code}, which is no character")
        chars_of[label] = chr(code)
    if not chars_of:
        raise ValueError("no labels")
    chars = [chars_of.get(k, "") for k in range(max(chars_of) + 1)]  # "" marks an unused label
    problem = _mapping_problem(chars)
    if problem is not None:
        raise ValueError(problem)
    return chars


def load_emnist(
    images: str | Path,
    labels: str | Path,
    *,
    transposed: bool = True,
    mapping: Sequence[str] | str | Path | None = None,
) -> ImageDataset:
    """Images + labels IDX files → ImageDataset with upright 28×28 images.

    transposed: True for EMNIST (images stored column-major), False for MNIST.
    mapping: the character of each label (any sequence of single characters, "" for a label
    not used), a mapping file (a str or Path), or None: labels 0 … 9 are the digits (MNIST),
    and a label above 9 raises MappingNeededError (EMNIST's splits number their classes each
    in its own order, so the mapping file that came with them must say). Raises
    IdxFormatError naming the file and what is wrong: images not 28×28, labels that do not
    match the images, or a label the mapping gives no character; ValueError for a mapping
    whose entries are not single characters.
    """
    pixels = read_idx(images)
    targets = read_idx(labels)
    if pixels.ndim != 3 or pixels.dtype != np.uint8:
        raise IdxFormatError(f"{images}: expected (N, H, W) uint8 images, got {pixels.shape}")
    if pixels.shape[1:] != (28, 28):
        height, width = pixels.shape[1:]
        raise IdxFormatError(
            f"{images}: the images are {height}×{width} pixels; EMNIST and MNIST images are 28×28"
        )
    if targets.ndim != 1 or len(targets) != len(pixels):
        raise IdxFormatError(f"{labels}: {targets.shape} labels for {len(pixels)} images")
    if targets.dtype.kind not in "iu":
        raise IdxFormatError(f"{labels}: labels must be whole numbers, not {targets.dtype}")
    upright = np.ascontiguousarray(pixels.transpose(0, 2, 1) if transposed else pixels)
    if mapping is None and targets.max(initial=0) > 9:
        raise MappingNeededError(
            f"{labels}: holds labels above 9, so they are not MNIST's digits; their characters "
            "are in the mapping file that came with them (EMNIST's emnist-<split>-mapping.txt): "
            "give it as mapping="
        )
    chars, source = _resolve_mapping(mapping)
    _check_labels(Path(labels), targets, chars, source)
    return ImageDataset(upright.astype(np.uint8), targets.astype(np.int64), chars)


def load_emnist_mat(path: str | Path, split: str = "test") -> ImageDataset:
    """EMNIST's MATLAB file (`emnist-byclass.mat`, ...) → the `split` ('test' or 'train') as an
    ImageDataset of upright images. MatFileError (a ValueError) names a file that is not one."""
    other = {"test": "train", "train": "test"}.get(split, "")
    dataset = load_mat(path, skip={f"dataset.{other}"}).get("dataset")  # streamed past
    part = dataset.get(split) if isinstance(dataset, dict) else None
    mapping = dataset.get("mapping") if isinstance(dataset, dict) else None
    if not isinstance(part, dict):
        raise MatFileError(f"{path}: not an EMNIST file (no dataset.{split} and dataset.mapping)")
    images, labels = part.get("images"), part.get("labels")
    for name, array in (
        (f"{split}.images", images),
        (f"{split}.labels", labels),
        ("mapping", mapping),
    ):
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "iuf":
            raise MatFileError(f"{path}: dataset.{name} is not an array of numbers")
        whole = array.dtype.kind != "f" or np.array_equal(array, np.round(array))  # not nan
        if not whole or not np.isfinite(array).all():
            raise MatFileError(f"{path}: dataset.{name} holds numbers that are not whole")
    assert isinstance(images, np.ndarray) and isinstance(labels, np.ndarray)
    assert isinstance(mapping, np.ndarray)
    labels = labels.reshape(-1)
    if images.ndim != 2 or images.shape[1] != 784 or len(labels) != len(images):
        raise MatFileError(
            f"{path}: dataset.{split} holds images {images.shape} and {labels.size} labels; "
            "EMNIST's are (N, 784), one label each"
        )
    if images.size and (images.min() < 0 or images.max() > 255):
        raise MatFileError(f"{path}: dataset.{split}.images has pixels outside 0 … 255")
    if mapping.ndim != 2 or mapping.shape[1] < 2 or np.abs(mapping).max(initial=0) > 2**31:
        raise MatFileError(f"{path}: dataset.mapping is not (K, 2): label, character code")
    try:
        chars = mapping_chars([(int(a), int(b)) for a, b in mapping[:, :2]])
    except ValueError as exc:
        raise MatFileError(f"{path}: dataset.mapping is not EMNIST's ({exc})") from exc
    if labels.size and (labels.min() < 0 or labels.max() > MAX_LABEL):
        raise MatFileError(f"{path}: dataset.{split}.labels outside 0 … {MAX_LABEL}")
    targets = labels.astype(np.int64)
    _check_labels(Path(path), targets, chars, "in dataset.mapping")
    # images[n, 28c + r]: row r, column c of image n; images.T (784, N) is a view in order
    by_pixel = images.astype(np.uint8, copy=False).T.reshape(28, 28, -1)  # (c, r, N)
    return ImageDataset(np.ascontiguousarray(by_pixel.transpose(2, 1, 0)), targets, chars)


def _resolve_mapping(mapping: Sequence[str] | str | Path | None) -> tuple[list[str], str]:
    """The characters by label, and where they come from (for messages)."""
    if isinstance(mapping, str | os.PathLike):
        return read_mapping(mapping), f"in {mapping}"
    if mapping is None:
        return list(DIGITS), "(the digits, as no mapping was given)"
    try:
        chars = list(mapping)  # a list, tuple, NumPy array … of characters
    except TypeError:
        raise TypeError(f"mapping must be characters or a mapping file, not {mapping!r}") from None
    problem = _mapping_problem(chars)
    if problem is not None:
        raise ValueError(f"mapping: {problem}")
    return [str(c) for c in chars], "given"


def _mapping_problem(chars: Sequence[object]) -> str | None:
    """What is wrong with the first entry that is not one printable character or "" (a label
    not used), or None when every entry is one."""
    for label, char in enumerate(chars):
        if not isinstance(char, str) or len(char) > 1 or not char.isprintable():
            return f"label {label} is {char!r}, not a single printable character"
    return None


def _check_labels(
    path: Path, targets: NDArray[np.generic], chars: Sequence[str], source: str
) -> None:
    """Refuse labels outside the mapping or on a label it leaves unused (they would read as
    the character ""), naming the labels file, the first such label and how many carry it."""
    if not len(targets):
        return
    used, counts = np.unique(targets, return_counts=True)
    for label, count in zip(used.tolist(), counts.tolist(), strict=True):
        images = f"{count} image{'s' if count != 1 else ''}"
        if not 0 <= label < len(chars):
            raise IdxFormatError(
                f"{path}: {images} labelled {label}, outside the "
                f"{len(chars)}-class mapping {source}"
            )
        if not chars[label]:
            raise IdxFormatError(
                f"{path}: {images} labelled {label}, a label the mapping {source} "
                "leaves unused (it has no character)"
            )
