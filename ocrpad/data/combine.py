"""Several stroke files as one dataset: UNIPEN's letters and digits with its symbols.

The shared folders `unipen/` and `unipen-symbols/` split the same writer sessions the same
way, so their union keeps the writer-independent split: a writer's letters and symbols are on
one side together (and share the writer key the reader's history groups by).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ocrpad.data.emnist_files import holds_pictures, is_picture_file, picture_files
from ocrpad.data.unipen import DatasetFileError, StrokeDataset, load_unipen


def concat_datasets(parts: Sequence[StrokeDataset]) -> StrokeDataset:
    """One dataset holding every part's samples in order; `mapping` is the union of the
    parts' mappings in first-seen order, and labels are re-indexed into it. The checksum
    combines the parts' checksums (one part: unchanged)."""
    if not parts:
        raise ValueError("no datasets to combine")
    if len(parts) == 1:
        return parts[0]
    mapping: list[str] = list(dict.fromkeys(c for part in parts for c in part.mapping))
    index = {c: i for i, c in enumerate(mapping)}
    labels, points, strokes, samples, writers = [], [], [], [], []
    point_base = stroke_base = 0
    for part in parts:
        lookup = np.array([index[c] for c in part.mapping], dtype=np.int64)
        labels.append(lookup[part.labels])
        points.append(part.points)
        strokes.append(part.stroke_offsets[:-1] + point_base)
        samples.append(part.sample_offsets[:-1] + stroke_base)
        writers.append(part.writers)
        point_base += len(part.points)
        stroke_base += len(part.stroke_offsets) - 1
    digest = hashlib.sha256("+".join(p.checksum for p in parts).encode()).hexdigest()
    return StrokeDataset(
        points=np.concatenate(points).astype(np.float32, copy=False),
        stroke_offsets=np.concatenate([*strokes, [point_base]]).astype(np.int64),
        sample_offsets=np.concatenate([*samples, [stroke_base]]).astype(np.int64),
        labels=np.concatenate(labels).astype(np.int64),
        mapping=mapping,
        writers=np.concatenate(writers).astype(np.str_),
        images=None,
        checksum=digest,
        source=" + ".join(Path(p.source).name for p in parts),
    )


def split_file(folder: Path, split: str) -> Path:
    """The `*-{split}.npz` file in a shared data folder (e.g. unipen/unipen-train.npz)."""
    found = sorted(folder.glob(f"*-{split}.npz"))
    if not found and holds_pictures(folder):
        raise DatasetFileError(
            f"{folder}: holds EMNIST or MNIST pictures, which carry no strokes; training and "
            "fitting the reader need stroke files (ocrpad-eval reads pictures)"
        )
    if len(found) != 1:
        raise DatasetFileError(
            f"{folder}: expected one *-{split}.npz file (such as unipen-{split}.npz), "
            f"found {len(found)}"
        )
    return found[0]


def data_files(sources: Sequence[Path], splits: Sequence[str]) -> list[Path]:
    """The files the commands read for `--data` paths and their `splits`: a file itself (an
    EMNIST or MNIST images file with its labels and mapping files), a folder's split files
    (`*-train.npz`, `*-test.npz`) or the pictures found in it."""
    files: list[Path] = []
    for source in sources:
        if is_picture_file(source) or (source.is_dir() and holds_pictures(source)):
            files.extend(f for split in splits for f in picture_files(source, split))
        elif source.is_dir():
            files.extend(f for split in splits for f in sorted(source.glob(f"*-{split}.npz")))
        else:
            files.append(source)
    return files


def load_split(sources: Sequence[Path], split: str) -> StrokeDataset | None:
    """The `split` ('train' or 'test') of every source folder (or file, taken as it is for
    'train'), combined. None when a folder has no file of that split and split is 'test'; a
    damaged test file, or two of them, is a DatasetFileError like any other."""
    parts = []
    for source in sources:
        if source.is_dir():
            if split == "test" and not any(source.glob("*-test.npz")):
                return None
            parts.append(load_unipen(split_file(source, split), images=False))
        elif split == "train":
            parts.append(load_unipen(source, images=False))
        else:
            return None
    return concat_datasets(parts)


def limited(data: StrokeDataset, limit: int | None, seed: int) -> StrokeDataset:
    """The random `limit` drawings of `data` that `ocrpad-train --limit` trains on (drawn with
    the recipe's `seed`, kept in file order); all of `data` when `limit` is None or not less."""
    if limit is None or limit >= len(data):
        return data
    pick = np.random.default_rng(seed).choice(len(data), limit, replace=False)
    return data.subset(np.sort(pick))
