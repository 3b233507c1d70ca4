"""A reader for the MATLAB 5 files EMNIST is also distributed as (`emnist-byclass.mat`, ...).

MATLAB 5 (and 7, the same layout with zlib-compressed variables) is a 128-byte header and a
list of tagged elements. A variable is an miMATRIX element: its array flags (the class), its
dimensions, its name, then its data — numbers stored column by column, or for a struct its
field names and each field's own miMATRIX. What EMNIST's files use is read: numeric arrays
(in the type they are stored in, which may be narrower than their class: a double array of
small whole numbers may come back as uint8), structs and cells (both as flat lists when they
hold several elements); character arrays come back as text (str). Other classes (sparse,
complex, objects) read as None, so one such variable does not hide the rest. Nothing is ever
executed, every size a file claims is checked against what is left of it, and the file's
variables may unpack to MAX_MAT_BYTES in all, so a damaged or hostile file is a MatFileError
naming it, not a crash or a memory blow-up.

EMNIST's file holds one struct, `dataset`, with `train` and `test` (each `images`, (N, 784)
uint8, every image column by column as in the IDX files; `labels`, (N, 1); `writers`) and
`mapping` (K, 2 or more: label, character codes).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ocrpad.files import check_regular_file

MAX_MAT_BYTES = 2 << 30
"""The most a file, or all its compressed variables unpacked, may take (EMNIST byclass's
unpacked: 0.7 GB)."""

CHUNK = 1 << 20
"""Bytes read, or unpacked, at a time."""

MAX_ARRAYS = 100_000
"""The most arrays, struct elements and cells one file may hold (EMNIST's: about 15)."""

NUMERIC = {1: "i1", 2: "u1", 3: "<i2", 4: "<u2", 5: "<i4", 6: "<u4", 7: "<f4", 9: "<f8"}
NUMERIC |= {12: "<i8", 13: "<u8", 16: "u1", 17: "<u2", 18: "<u4"}  # 16-18: UTF-8/16/32
"""Element data types (miINT8 ... miUINT64, miUTF*) → NumPy dtypes (little-endian files)."""
ELEMENT_TYPES = frozenset(range(1, 19)) - {8, 10, 11}  # 8, 10, 11 are reserved
MI_INT32, MI_MATRIX, MI_COMPRESSED = 5, 14, 15
CLASS_CELL, CLASS_STRUCT, CLASS_CHAR = 1, 2, 4
CLASS_NUMERIC = frozenset(range(6, 16))  # double, single, int8 ... uint64


class MatFileError(ValueError):
    """A MATLAB file ocrpad cannot read: damaged, big-endian, v7.3 (HDF5) or too large."""


def load_mat(path: str | Path, skip: Collection[str] = ()) -> dict[str, Any]:
    """The variables of a MATLAB 5/7 file: numeric arrays as NumPy arrays in MATLAB's shape,
    structs as dicts (a struct array as a list of dicts), cells as lists, character arrays as
    str, other classes None.

    The file is read as a stream, compressed variables unpacked as they are read; `skip`
    names struct fields by dotted path ("dataset.train") that are passed over as they stream
    by, never held in memory, and come back as None: EMNIST's test split is read without its
    training split, five times its size, ever being in memory at once."""
    path = Path(path)
    check_regular_file(path)
    if path.stat().st_size > MAX_MAT_BYTES:
        raise MatFileError(f"{path}: larger than {MAX_MAT_BYTES:,} bytes")
    with path.open("rb") as file:
        head = file.read(128)
        if len(head) < 128 or head[126:128] not in (b"IM", b"MI"):
            raise MatFileError(f"{path}: not a MATLAB file")
        if head[126:128] == b"MI":
            raise MatFileError(f"{path}: a big-endian MATLAB file, which ocrpad does not read")
        if head[124:126] != b"\x00\x01":  # 0x0100 little-endian; 7.3 writes 0x0200 (HDF5)
            raise MatFileError(f"{path}: not a MATLAB 5 or 7 file (7.3 is HDF5: save it with -v7)")
        try:
            return _Reader(frozenset(skip)).variables(_Stream(_file_chunks(file)))
        except (struct.error, zlib.error, ValueError, IndexError, OverflowError) as exc:
            raise MatFileError(f"{path}: damaged ({exc})") from exc
        except RecursionError as exc:
            raise MatFileError(f"{path}: damaged (arrays nested past any sense)") from exc


def _file_chunks(file: BinaryIO) -> Iterator[bytes]:
    while chunk := file.read(CHUNK):
        yield chunk


class _Stream:
    """Bytes taken in order from an iterator of chunks (a file's, or a compressed variable's
    as it unpacks)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()

    def _fill(self, size: int) -> bool:
        """At least `size` bytes in the buffer (False: the stream ends first)."""
        while len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._buffer += chunk
        return True

    def at_end(self) -> bool:
        return not self._fill(1)

    def read(self, size: int) -> bytes:
        if not self._fill(size):
            raise ValueError(f"{size:,} bytes claimed where {len(self._buffer):,} are left")
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    def take(self, size: int) -> Iterator[bytes]:
        """The next `size` bytes, a chunk at a time (ValueError if the stream ends first)."""
        while size > 0:
            if not self._fill(1):
                raise ValueError(f"an element cut short by {size:,} bytes")
            piece = bytes(self._buffer[:size])
            del self._buffer[: len(piece)]
            size -= len(piece)
            yield piece

    def skip(self, size: int) -> None:
        for _ in self.take(size):
            pass

    def drain(self) -> None:
        """Read to the stream's end, keeping nothing."""
        while self._fill(1):
            self._buffer.clear()


class _Reader:
    """One file's reading, counting what it unpacks and the arrays it makes against the limits."""

    def __init__(self, skip: frozenset[str] = frozenset()) -> None:
        self.unpacked = 0
        self.arrays = 0
        self.skip = skip

    def variables(self, stream: _Stream) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while not stream.at_end():
            kind, size = struct.unpack("<II", stream.read(8))
            if kind not in ELEMENT_TYPES:
                raise ValueError(f"an element of type {kind}")
            if kind == MI_COMPRESSED:  # one variable to a block, as MATLAB writes them
                inflated = _Stream(self._inflated(stream.take(size)))
                inner, inner_size = struct.unpack("<II", inflated.read(8))
                if inner not in ELEMENT_TYPES:
                    raise ValueError(f"an element of type {inner}")
                if inner == MI_MATRIX:
                    name, value = self._streamed(inflated, inner_size, None)
                    out[name] = value
                inflated.drain()  # the block's end, checked (a block cut short is damage)
            elif kind == MI_MATRIX:
                name, value = self._streamed(stream, size, None)
                out[name] = value
                stream.skip(-(-size // 8) * 8 - size)
            else:
                stream.skip(-(-size // 8) * 8)
        return out

    def _inflated(self, compressed: Iterator[bytes]) -> Iterator[bytes]:
        """A compressed variable unpacked as it is read, within what the file may still
        unpack."""
        inflater = zlib.decompressobj()
        for piece in compressed:
            data = piece
            while data:
                unpacked = inflater.decompress(data, CHUNK)
                data = inflater.unconsumed_tail
                self.unpacked += len(unpacked)
                if self.unpacked > MAX_MAT_BYTES:
                    raise ValueError(f"its variables unpack to more than {MAX_MAT_BYTES:,} bytes")
                yield unpacked
        if not inflater.eof:
            raise ValueError("a compressed variable is cut short")

    def _streamed(self, stream: _Stream, size: int, path: str | None) -> tuple[str, Any]:
        """(name, value) of the miMATRIX element whose body, `size` bytes, comes next in
        `stream`; `path`: its dotted path (None at the top level: its own name). A struct
        with fields to skip below it is read field by field; anything else whole."""
        head = b""
        parts: list[tuple[int, bytes]] = []
        while len(parts) < 3 and len(head) + 8 <= size:
            tag = stream.read(8)
            (word,) = struct.unpack_from("<I", tag)
            if word >> 16:  # small element: in its 8 bytes
                parts.append((word & 0xFFFF, tag[4 : 4 + (word >> 16)]))
                head += tag
                continue
            kind, length = struct.unpack("<II", tag)
            padded = -(-length // 8) * 8
            if length > size - len(head) - 8:
                raise ValueError(
                    f"an element of {length} bytes where {size - len(head) - 8} are left"
                )
            body = stream.read(padded if padded <= size - len(head) - 8 else length)
            parts.append((kind, body[:length]))
            head += tag + body
        name = parts[2][1].decode("ascii", "replace") if len(parts) == 3 else ""
        where = path if path is not None else name
        flags = int(np.frombuffer(parts[0][1][:4], "<u4")[0]) if parts else 0
        below = [s for s in self.skip if s.startswith(where + ".")]
        if len(parts) < 3 or flags & 0xFF != CLASS_STRUCT or not below:
            rest = stream.read(size - len(head))
            return self._matrix(memoryview(head + rest))
        return name, self._streamed_struct(stream, size - len(head), parts, where)

    def _streamed_struct(
        self, stream: _Stream, size: int, parts: list[tuple[int, bytes]], where: str
    ) -> Any:
        """A struct's fields read one by one from `stream` (`size` bytes after its name), the
        fields named in `skip` passed over."""
        self.arrays += 1
        count = int(np.prod([int(d) for d in _numbers(*parts[1])], dtype=np.float64))
        if count > size // 8:
            raise ValueError(f"{where!r} claims {count:,} elements in {size:,} bytes")
        length_tag, names_tag = stream.read(8), stream.read(8)
        (length_word,) = struct.unpack_from("<I", length_tag)
        length = int(np.frombuffer(length_tag[4:8], "<i4")[0]) if length_word >> 16 else 0
        kind, names_size = struct.unpack("<II", names_tag)
        names = stream.read(-(-names_size // 8) * 8)[:names_size]
        left = size - 16 - (-(-names_size // 8) * 8)
        if length < 1 or len(names) % length:
            raise ValueError(f"struct {where!r} has field names of length {length}")
        fields = [
            names[i : i + length].split(b"\0")[0].decode("ascii", "replace")
            for i in range(0, len(names), length)
        ]
        items: list[dict[str, Any]] = []
        for _ in range(count):
            item: dict[str, Any] = {}
            for field in fields:
                kind, field_size = struct.unpack("<II", stream.read(8))
                padded = -(-field_size // 8) * 8
                left -= 8 + padded
                if kind != MI_MATRIX or left < 0:
                    raise ValueError(f"struct {where!r} holds a field that is no array")
                inner = f"{where}.{field}"
                if inner in self.skip:
                    stream.skip(padded)
                    item[field] = None
                    continue
                item[field] = self._streamed(stream, field_size, inner)[1]
                stream.skip(padded - field_size)
            items.append(item)
        stream.skip(max(left, 0))
        return items[0] if count == 1 else items

    def _matrix(self, body: memoryview) -> tuple[str, Any]:
        """(name, value) of one miMATRIX element's body."""
        self.arrays += 1
        if self.arrays > MAX_ARRAYS:
            raise ValueError(f"more than {MAX_ARRAYS:,} arrays")
        parts = _elements(body)
        head = [next(parts, None) for _ in range(3)]
        if head[0] is None:
            return "", np.zeros((0, 0))  # an empty field or cell
        if head[1] is None or head[2] is None or head[1][0] != MI_INT32:
            raise ValueError("an array without its dimensions or name")
        flags = int(np.frombuffer(head[0][1], "<u4")[0])
        kind, complex_ = flags & 0xFF, bool(flags & 0x0800)
        shape = tuple(int(d) for d in _numbers(*head[1]))
        name = bytes(head[2][1]).decode("ascii", "replace")
        if min(shape, default=0) < 0:
            raise ValueError(f"{name!r} has dimensions {shape}")
        count = int(np.prod(shape, dtype=np.float64))
        if kind == CLASS_CHAR:
            data = next(parts, None)
            return name, "" if data is None else _text(*data)
        if kind in CLASS_NUMERIC:
            data = next(parts, None)
            values = np.zeros(0) if data is None else _numbers(*data)
            if values.size != count and not complex_:
                raise ValueError(f"{name!r} holds {values.size} numbers for a {shape} array")
            return name, None if complex_ else values.reshape(shape, order="F")
        if kind not in (CLASS_STRUCT, CLASS_CELL):
            return name, None  # sparse, objects, function handles: nothing EMNIST needs
        if count > len(body) // 8:  # every element takes at least one 8-byte tag
            raise ValueError(f"{name!r} claims {count:,} elements in {len(body):,} bytes")
        if kind == CLASS_CELL:
            cells = [self._matrix(b)[1] for _, b in parts]
            if len(cells) != count:
                raise ValueError(f"cell {name!r} holds {len(cells)} of its {count} elements")
            return name, cells
        return name, self._struct(name, count, parts)

    def _struct(self, name: str, count: int, parts: Iterator[tuple[int, memoryview]]) -> Any:
        """A struct's fields after its name: a dict, or a list of dicts for several."""
        length_part, names_part = next(parts, None), next(parts, None)
        if length_part is None or names_part is None:
            raise ValueError(f"struct {name!r} without its field names")
        length = int(_numbers(*length_part)[0])
        names = bytes(names_part[1])
        if length < 1 or len(names) % length:
            raise ValueError(f"struct {name!r} has field names of length {length}")
        fields = [
            names[i : i + length].split(b"\0")[0].decode("ascii", "replace")
            for i in range(0, len(names), length)
        ]
        held = [self._matrix(b)[1] for _, b in parts]
        if len(held) != count * len(fields):
            raise ValueError(f"struct {name!r} holds {len(held)} values for {count} × {fields}")
        width = len(fields)  # each element's fields in order, the elements column by column
        if not width:
            return {} if count == 1 else []
        items = [
            dict(zip(fields, held[i * width : (i + 1) * width], strict=True)) for i in range(count)
        ]
        return items[0] if count == 1 else items


def _elements(data: memoryview) -> Iterator[tuple[int, memoryview]]:
    """The (type, body) of every element in `data`, in order, read as they are asked for."""
    at = 0
    while at + 8 <= len(data):
        (word,) = struct.unpack_from("<I", data, at)
        if word >> 16:  # small element: type and size in one word, the data in the next
            kind, size = word & 0xFFFF, word >> 16
            if size > 4 or kind not in ELEMENT_TYPES:
                raise ValueError(f"a small element of type {kind}, {size} bytes")
            yield kind, data[at + 4 : at + 4 + size]
            at += 8
            continue
        kind, size = struct.unpack_from("<II", data, at)
        if kind not in ELEMENT_TYPES:
            raise ValueError(f"an element of type {kind}")
        if size > len(data) - at - 8:
            raise ValueError(f"an element of {size} bytes where {len(data) - at - 8} are left")
        yield kind, data[at + 8 : at + 8 + size]
        at += 8 + (size if kind == MI_COMPRESSED else -(-size // 8) * 8)


def _text(kind: int, body: memoryview) -> str:
    """A character array's characters, in the order they are stored (column by column)."""
    if kind == 16:  # miUTF8
        return bytes(body).decode("utf-8", "replace")
    codes = _numbers(kind, body).tolist()
    return "".join(chr(c) if 0 <= c < 0x110000 else "\ufffd" for c in codes)


def _numbers(kind: int, body: memoryview | bytes) -> np.ndarray:
    if kind not in NUMERIC:
        raise ValueError(f"data of element type {kind}")
    return np.frombuffer(body, NUMERIC[kind])
