"""Readers for the official MNIST / EMNIST IDX files (`*-idx3-ubyte[.gz]`, `*-idx1-ubyte[.gz]`).

IDX: two zero bytes, a type code, the number of dimensions, then one big-endian uint32 per
dimension and the data, big-endian. EMNIST stores each 28×28 image transposed (column-major);
`load_emnist(..., transposed=True)` turns them upright.
"""

from __future__ import annotations

import gzip
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

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


class IdxFormatError(ValueError):
    """An IDX file is unreadable, truncated or not IDX at all."""


@dataclass(frozen=True)
class ImageDataset:
    """Upright images (N, 28, 28) uint8 (white ink on black), labels (N,) int64, mapping."""

    images: NDArray[np.uint8]
    labels: NDArray[np.int64]
    mapping: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def inputs(self) -> NDArray[np.float32]:
        """Network input (N, 1, 28, 28) float32 in [0, 1]."""
        return (self.images[:, None].astype(np.float32) / 255.0).astype(np.float32)

    def characters(self) -> list[str]:
        """The label of every sample as its character."""
        return [self.mapping[k] for k in self.labels]


def _read_bytes(path: Path) -> bytes:
    try:
        raw = check_regular_file(path).read_bytes()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error) as exc:
        raise IdxFormatError(f"{path}: cannot read ({exc})") from exc


def read_idx(path: str | Path) -> NDArray[np.generic]:
    """Read one IDX file (gzipped or not, detected by content) → array in native byte order."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise IdxFormatError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxFormatError(f"{path}: truncated header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[raw[2]])
    count = math.prod(shape)  # Python integers: no overflow to a small number
    if len(raw) - header < count * dtype.itemsize:
        raise IdxFormatError(f"{path}: truncated data: expected {count} items of shape {shape}")
    data = np.frombuffer(raw, dtype, count=count, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def read_mapping(path: str | Path) -> list[str]:
    """An EMNIST `*-mapping.txt` (lines "label ascii_code …") → characters indexed by label.

    EMNIST "letters" starts at label 1: unused labels map to "".
    """
    path = Path(path)
    pairs: dict[int, str] = {}
    try:
        for line in check_regular_file(path).read_text(encoding="ascii").splitlines():
            if line.strip():
                label, code = line.split()[:2]
                pairs[int(label)] = chr(int(code))
    except (OSError, ValueError) as exc:
        raise IdxFormatError(f"{path}: not an EMNIST mapping file ({exc})") from exc
    if not pairs or min(pairs) < 0 or max(pairs) > MAX_LABEL:
        raise IdxFormatError(f"{path}: no labels, or labels outside 0 … {MAX_LABEL}")
    return [pairs.get(k, "") for k in range(max(pairs) + 1)]  # "" marks an unused label


def load_emnist(
    images: str | Path,
    labels: str | Path,
    *,
    transposed: bool = True,
    mapping: list[str] | str | Path | None = None,
) -> ImageDataset:
    """Images + labels IDX files → ImageDataset with upright images.

    transposed: True for EMNIST (images stored column-major), False for MNIST.
    mapping: characters, a mapping file, or None (digits for ≤ 10 labels, else byclass order).
    """
    pixels = read_idx(images)
    targets = read_idx(labels)
    if pixels.ndim != 3 or pixels.dtype != np.uint8:
        raise IdxFormatError(f"{images}: expected (N, H, W) uint8 images, got {pixels.shape}")
    if targets.ndim != 1 or len(targets) != len(pixels):
        raise IdxFormatError(f"{labels}: {targets.shape} labels for {len(pixels)} images")
    if targets.dtype.kind not in "iu":
        raise IdxFormatError(f"{labels}: labels must be whole numbers, not {targets.dtype}")
    upright = np.ascontiguousarray(pixels.transpose(0, 2, 1) if transposed else pixels)
    chars = _resolve_mapping(mapping, int(targets.max(initial=0)))
    if len(targets) and (targets.min() < 0 or targets.max() >= len(chars)):
        raise IdxFormatError(f"{labels}: labels outside the {len(chars)}-class mapping")
    return ImageDataset(upright.astype(np.uint8), targets.astype(np.int64), chars)


def _resolve_mapping(mapping: list[str] | str | Path | None, top: int) -> list[str]:
    if isinstance(mapping, list):
        return list(mapping)
    if mapping is not None:
        return read_mapping(mapping)
    return list(DIGITS) if top < 10 else list(BYCLASS)
