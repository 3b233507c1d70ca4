"""Data: the shared UNIPEN stroke files, EMNIST/MNIST as distributed (IDX or MATLAB files,
found from one path by `ocrpad.data.emnist_files`), augmentation, and the user's own samples
(`ocrpad.data.samples`)."""

from __future__ import annotations

from ocrpad.data.emnist import IdxFormatError, ImageDataset, load_emnist, read_idx, read_mapping
from ocrpad.data.unipen import DatasetFileError, StrokeDataset, load_unipen, split_by_writer

__all__ = [
    "DatasetFileError",
    "IdxFormatError",
    "ImageDataset",
    "StrokeDataset",
    "load_emnist",
    "load_unipen",
    "read_idx",
    "read_mapping",
    "split_by_writer",
]
