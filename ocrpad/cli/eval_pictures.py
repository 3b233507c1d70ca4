"""EMNIST and MNIST pictures for `ocrpad-eval`: found from the --data paths, and read as the
window reads an opened picture (the network and the reader's calibration; no strokes, so no
history and no correction for coarse traces)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ocrpad.data.emnist_files import holds_pictures, is_picture_file, load_pictures
from ocrpad.model import Model
from ocrpad.reading import Reader


@dataclass(frozen=True)
class Pictures:
    """images (N, 28, 28) uint8, white ink on black (a quarter of the float inputs' memory:
    they become network input a batch at a time); characters: each one's true character;
    either_case (N,): the capitals whose label, in that picture's copy, stands for the letter
    in either case (`ImageDataset.either_case`: EMNIST's letters, balanced and bymerge)."""

    images: NDArray[np.uint8]
    characters: list[str]
    either_case: list[frozenset[str]]


def is_pictures(path: Path) -> bool:
    """Whether a --data path is EMNIST/MNIST images rather than strokes."""
    if path.is_dir():
        return not any(path.glob("*-test.npz")) and holds_pictures(path)
    return is_picture_file(path)


def picture_data(args: argparse.Namespace) -> Pictures:
    """The test images of every --data path, which must all be EMNIST or MNIST images.
    ValueError (or OSError) says what cannot be done."""
    if not all(is_pictures(p) for p in args.data):
        raise ValueError("--data: stroke files and EMNIST/MNIST images cannot be read together")
    if args.history != "none" or args.coarse is not None:
        raise ValueError(
            "EMNIST and MNIST images carry no strokes: --history and --coarse need stroke files"
        )
    sets = [load_pictures(path, "test") for path in args.data]
    for path, pictures in zip(args.data, sets, strict=True):
        if not len(pictures):
            raise ValueError(f"{path}: holds no test images")
    return Pictures(
        np.concatenate([s.images for s in sets]),
        [c for s in sets for c in s.characters()],
        [s.either_case for s in sets for _ in range(len(s))],
    )


def read_pictures(
    model: Model, pictures: Pictures, allowed: list[str], batch_size: int = 512
) -> NDArray[np.float32]:
    """Every picture read as the window reads an opened one → probabilities (N, C) over the
    model's labels, 0 outside `allowed`; for a letter labelled in either case, the letter's
    odds are its capital's (see `either_case`), and a note on stderr says so."""
    images = pictures.images
    reader = Reader(model, charset=allowed)
    columns = [model.labels.index(c) for c in reader.labels]
    probs = np.zeros((len(images), model.num_classes), dtype=np.float32)
    for i in range(0, len(images), batch_size):  # network input and reader a batch at a time
        logits = model.logits(images[i : i + batch_size, None].astype(np.float32) / 255.0)
        probs[i : i + batch_size, columns] = reader.read_pictures(logits)
    for capitals in dict.fromkeys(c for c in pictures.either_case if c):  # one per copy
        print(
            f"note: each of the labels {' '.join(sorted(capitals))} stands for both its cases "
            "(as in EMNIST's letters, balanced and bymerge splits): a small or a capital "
            "answer counts, scored as the capital",
            file=sys.stderr,
        )
        rows = np.array([c == capitals for c in pictures.either_case])
        probs = either_case(probs, model.labels, rows, capitals)
    return probs


def either_case(
    probs: NDArray[np.float32],
    labels: list[str],
    rows: NDArray[np.bool_],
    capitals: Collection[str],
) -> NDArray[np.float32]:
    """probs (N, C) over `labels` with, in `rows`, the probability of each of `capitals`' small
    letters moved to its capital: there the label is "the letter, either case" (EMNIST names
    the capital), so a small o read for an O is right, and the odds of the letter are the sum."""
    merged = probs.copy()
    index = {c: i for i, c in enumerate(labels)}
    for capital in capitals:
        small = capital.lower()
        if capital in index and small in index:
            merged[rows, index[capital]] += merged[rows, index[small]]
            merged[rows, index[small]] = 0.0
    return merged
