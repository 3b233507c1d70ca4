"""Write a MATLAB file laid out as EMNIST's (`emnist-byclass.mat`), of any size, to measure
how ocrpad reads one: a struct `dataset` with `train` and `test` (`images` (N, 784) uint8,
each image column by column; `labels` and `writers` (N, 1)) and `mapping` (62, 2), the whole
variable compressed as MATLAB 7 saves it. The images are noise: only sizes matter here.

    python -m ocrpad.devtools.emnist_mat /tmp/emnist-big.mat --train 240000 --test 40000
"""

from __future__ import annotations

import argparse
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.emnist import BYCLASS

MI_INT8, MI_UINT8, MI_INT32, MI_UINT32, MI_MATRIX, MI_COMPRESSED = 1, 2, 5, 6, 14, 15
CLASS_STRUCT, CLASS_DOUBLE, CLASS_UINT8 = 2, 6, 9


def element(kind: int, data: bytes) -> bytes:
    """One tagged element, padded to 8 bytes."""
    return np.array([kind, len(data)], "<u4").tobytes() + data.ljust(-(-len(data) // 8) * 8, b"\0")


def matrix(kind: int, shape: tuple[int, ...], name: str, *rest: bytes) -> bytes:
    """A miMATRIX element of MATLAB class `kind`."""
    flags = element(MI_UINT32, np.array([kind, 0], "<u4").tobytes())
    dims = element(MI_INT32, np.array(shape, "<i4").tobytes())
    return element(MI_MATRIX, flags + dims + element(MI_INT8, name.encode()) + b"".join(rest))


def numbers(array: NDArray[np.uint8], kind: int, name: str = "") -> bytes:
    """Whole numbers 0 … 255 stored as miUINT8, column by column, as EMNIST stores them."""
    return matrix(kind, array.shape, name, element(MI_UINT8, array.tobytes(order="F")))


def structure(fields: dict[str, bytes], name: str = "") -> bytes:
    """A 1 × 1 struct of the given (unnamed) field arrays."""
    length = np.array([MI_INT32 | (4 << 16), 32], "<u4").tobytes()  # a small element
    names = b"".join(f.encode().ljust(32, b"\0") for f in fields)
    return matrix(CLASS_STRUCT, (1, 1), name, length, element(MI_INT8, names), *fields.values())


def split(count: int, rng: np.random.Generator) -> bytes:
    images = rng.integers(0, 256, (count, 784), dtype=np.uint8)
    labels = rng.integers(0, 62, (count, 1), dtype=np.uint8)
    return structure(
        {
            "images": numbers(images, CLASS_UINT8),
            "labels": numbers(labels, CLASS_DOUBLE),
            "writers": numbers(np.zeros((count, 1), np.uint8), CLASS_DOUBLE),
        }
    )


def write(path: Path, train: int, test: int) -> None:
    rng = np.random.default_rng(0)
    codes = np.array([[k, ord(c)] for k, c in enumerate(BYCLASS)], np.uint8)
    dataset = structure(
        {"train": split(train, rng), "test": split(test, rng), "mapping": numbers(codes, 6)},
        "dataset",
    )
    header = b"MATLAB 5.0 MAT-file, written by ocrpad's devtools".ljust(116, b" ")
    header += bytes(8) + b"\x00\x01IM"
    packed = zlib.compress(dataset, 1)
    path.write_bytes(header + np.array([MI_COMPRESSED, len(packed)], "<u4").tobytes() + packed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--train", type=int, default=240_000)
    parser.add_argument("--test", type=int, default=40_000)
    args = parser.parse_args()
    write(args.path, args.train, args.test)


if __name__ == "__main__":
    main()
