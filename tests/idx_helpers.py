"""Small EMNIST / MNIST IDX files, written by the tests themselves (no download)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


def write_idx(path: Path, array: np.ndarray, *, gz: bool = False) -> Path:
    """`array` (uint8, or int32 / float32 stored big-endian) as an IDX file at `path`."""
    codes = {np.dtype("u1"): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    header = struct.pack(">BBBB", 0, 0, codes[big.dtype], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + big.tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path
