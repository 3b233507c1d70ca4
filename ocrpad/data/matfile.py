"""A reader for the MATLAB 5 files EMNIST is also distributed as (`emnist-byclass.mat`, ...).

MATLAB 5 (and 7, the same layout with zlib-compressed variables) is a 128-byte header and a
list of tagged elements. A variable is an miMATRIX element: its array flags (the class), its
dimensions, its name, then its data — numbers stored column by column, or for a struct its
field names and each field's own miMATRIX. Only what EMNIST's files use is read: numeric
arrays, structs and cells (character arrays come back as their codes). Nothing is ever
executed, and every size a file claims is checked against what is left of it, so a damaged
or hostile file is a MatFileError naming it, not a crash or a memory blow-up.

EMNIST's file holds one struct, `dataset`, with `train` and `test` (each `images`, (N, 784)
uint8, every image column by column as in the IDX files; `labels`, (N, 1); `writers`) and
`mapping` (K, 2 or more: label, character codes).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ocrpad.files import check_regular_file

MAX_MAT_BYTES = 2 << 30
"""The most a file, or one compressed variable unpacked, may take (EMNIST byclass: 0.7 GB)."""

NUMERIC = {1: "i1", 2: "u1", 3: "<i2", 4: "<u2", 5: "<i4", 6: "<u4", 7: "<f4", 9: "<f8"}
NUMERIC |= {12: "<i8", 13: "<u8", 16: "<u2", 17: "<u2", 18: "<u4"}  # 16-18: utf8/16/32
"""Element data types (miINT8 ... miUINT64, miUTF) → NumPy dtypes (little-endian files)."""
MI_MATRIX, MI_COMPRESSED = 14, 15
CLASS_CELL, CLASS_STRUCT, CLASS_CHAR = 1, 2, 4
CLASS_NUMERIC = frozenset(range(6, 16))  # double, single, int8 ... uint64


class MatFileError(ValueError):
    """A MATLAB file ocrpad cannot read: damaged, big-endian, v7.3 (HDF5) or too large."""


def load_mat(path: str | Path) -> dict[str, Any]:
    """The variables of a MATLAB 5/7 file: numeric arrays as NumPy arrays in MATLAB's shape,
    structs as dicts (a struct array as a list of dicts), cells as lists."""
    path = Path(path)
    check_regular_file(path)
    if path.stat().st_size > MAX_MAT_BYTES:
        raise MatFileError(f"{path}: larger than {MAX_MAT_BYTES:,} bytes")
    raw = path.read_bytes()
    if len(raw) < 128 or raw[126:128] not in (b"IM", b"MI"):
        raise MatFileError(f"{path}: not a MATLAB file")
    if raw[126:128] == b"MI":
        raise MatFileError(f"{path}: a big-endian MATLAB file, which ocrpad does not read")
    if raw[124:126] != b"\x00\x01":  # 0x0100 little-endian; MATLAB 7.3 writes 0x0200 (HDF5)
        raise MatFileError(f"{path}: not a MATLAB 5 or 7 file (7.3 is HDF5: save it with -v7)")
    try:
        return dict(_variables(memoryview(raw)[128:]))
    except (struct.error, zlib.error, ValueError, IndexError, RecursionError) as exc:
        raise MatFileError(f"{path}: damaged ({exc})") from exc


def _variables(data: memoryview) -> list[tuple[str, Any]]:
    out = []
    for kind, body in _elements(data):
        if kind == MI_COMPRESSED:
            for inner_kind, inner in _elements(memoryview(_inflate(body))):
                if inner_kind == MI_MATRIX:
                    out.append(_matrix(inner))
        elif kind == MI_MATRIX:
            out.append(_matrix(body))
    return out


def _inflate(body: memoryview) -> bytes:
    """A compressed variable, unpacked to at most MAX_MAT_BYTES."""
    inflater = zlib.decompressobj()
    unpacked = inflater.decompress(body, MAX_MAT_BYTES)
    if inflater.unconsumed_tail:
        raise ValueError(f"a compressed variable unpacks to more than {MAX_MAT_BYTES:,} bytes")
    return unpacked


def _elements(data: memoryview) -> list[tuple[int, memoryview]]:
    """The (type, body) of every element in `data`, in order."""
    found, at = [], 0
    while at + 8 <= len(data):
        (word,) = struct.unpack_from("<I", data, at)
        if word >> 16:  # small element: type and size in one word, the data in the next
            kind, size = word & 0xFFFF, word >> 16
            if size > 4:
                raise ValueError(f"a small element of {size} bytes")
            found.append((kind, data[at + 4 : at + 4 + size]))
            at += 8
            continue
        kind, size = struct.unpack_from("<II", data, at)
        if size > len(data) - at - 8:
            raise ValueError(f"an element of {size} bytes where {len(data) - at - 8} are left")
        found.append((kind, data[at + 8 : at + 8 + size]))
        at += 8 + (size if kind == MI_COMPRESSED else -(-size // 8) * 8)
    return found


def _matrix(body: memoryview) -> tuple[str, Any]:
    """(name, value) of one miMATRIX element's body."""
    parts = _elements(body)
    if len(parts) < 3:
        return "", np.zeros((0, 0))  # an empty field
    flags = np.frombuffer(parts[0][1], "<u4")
    kind, complex_ = int(flags[0]) & 0xFF, bool(int(flags[0]) & 0x0800)
    shape = tuple(int(d) for d in _numbers(*parts[1]))
    name = bytes(parts[2][1]).decode("ascii", "replace")
    count = int(np.prod(shape))
    if kind in CLASS_NUMERIC or kind == CLASS_CHAR:
        if complex_:
            raise ValueError(f"{name!r} is complex")
        values = _numbers(*parts[3]) if len(parts) > 3 else np.zeros(0)
        if values.size != count:
            raise ValueError(f"{name!r} holds {values.size} numbers for a {shape} array")
        return name, values.reshape(shape, order="F")
    if kind == CLASS_STRUCT:
        length = int(_numbers(*parts[3])[0])
        names = bytes(parts[4][1])
        if length < 1:
            raise ValueError(f"struct {name!r} has field names of length {length}")
        fields = [
            names[i : i + length].split(b"\0")[0].decode("ascii", "replace")
            for i in range(0, len(names), length)
        ]
        held = [_matrix(b)[1] for _, b in parts[5:]]
        if len(held) != count * len(fields):
            raise ValueError(f"struct {name!r} holds {len(held)} values for {count} × {fields}")
        width = len(fields)  # each element's fields in order, the elements column by column
        items = [
            dict(zip(fields, held[i * width : (i + 1) * width], strict=True)) for i in range(count)
        ]
        return name, items[0] if count == 1 else items
    if kind == CLASS_CELL:
        return name, [_matrix(b)[1] for _, b in parts[3:]]
    raise ValueError(f"{name!r} is of MATLAB class {kind}, which ocrpad does not read")


def _numbers(kind: int, body: memoryview) -> np.ndarray:
    if kind not in NUMERIC:
        raise ValueError(f"data of element type {kind}")
    return np.frombuffer(body, NUMERIC[kind])
