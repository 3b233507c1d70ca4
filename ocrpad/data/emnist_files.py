"""Find and read a user's copy of EMNIST or MNIST from the one path they name.

EMNIST comes in two forms, MNIST in the first:

    emnist-byclass-test-images-idx3-ubyte.gz   emnist-byclass-test-labels-idx1-ubyte.gz
    emnist-byclass-mapping.txt                 (IDX files, and the characters of the labels)
    t10k-images-idx3-ubyte.gz                  t10k-labels-idx1-ubyte.gz      (MNIST)
    emnist-byclass.mat                         (MATLAB: both splits and the mapping in one)

Copies unpacked by hand drop the `.gz`, and some write `images.idx3-ubyte` with a dot; both
are found. `load_pictures(path, split)` takes an IDX images file, a `.mat` file, or a folder
holding exactly one of either for the split, and names what is missing or ambiguous in a
DatasetFileError (a ValueError, as the readers' own errors are).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ocrpad.data.emnist import ImageDataset, MappingNeededError, load_emnist, load_emnist_mat
from ocrpad.data.unipen import DatasetFileError

IMAGES = re.compile(r"images[-.]idx3-ubyte(\.gz)?$", re.IGNORECASE)
"""The name of an IDX images file, as EMNIST and MNIST spell it (gzipped or not)."""
IDX_LABELS = re.compile(r"labels[-.]idx1-ubyte(\.gz)?$", re.IGNORECASE)
"""The name of an IDX labels file."""

SPLIT_WORDS = {"test": ("test", "t10k"), "train": ("train",)}
"""The words a split's file names carry (MNIST calls its test split t10k)."""


@dataclass(frozen=True)
class IdxFiles:
    """One split of an EMNIST or MNIST copy."""

    images: Path
    labels: Path
    mapping: Path | None  # EMNIST's *-mapping.txt; None: MNIST, whose labels are the digits
    transposed: bool  # EMNIST stores every image column by column

    def load(self) -> ImageDataset:
        """The images, upright, with their characters (IdxFormatError names a bad file). A
        copy without a mapping is MNIST: a label above 9 is refused, not guessed at."""
        try:
            return load_emnist(
                self.images, self.labels, transposed=self.transposed, mapping=self.mapping
            )
        except MappingNeededError as exc:
            raise DatasetFileError(
                f"{self.images}: holds labels above 9, so it is not MNIST's digits; an "
                "EMNIST copy keeps the names it came with (emnist-<split>-test-images-idx3-"
                "ubyte.gz) and its mapping file (emnist-<split>-mapping.txt) beside it"
            ) from exc


def is_idx_images(path: Path) -> bool:
    """Whether `path` is named as an IDX images file."""
    return bool(IMAGES.search(path.name))


def is_picture_file(path: Path) -> bool:
    """Whether `path` is named as EMNIST/MNIST pictures: IDX images or a MATLAB file."""
    return is_idx_images(path) or path.suffix.lower() == ".mat"


def holds_pictures(folder: Path) -> bool:
    """Whether a folder holds any IDX images or MATLAB file."""
    return folder.is_dir() and any(is_picture_file(p) for p in folder.iterdir())


def load_pictures(path: Path, split: str = "test") -> ImageDataset:
    """The `split` ('test' or 'train') of the copy at `path` (see the module docstring), its
    images upright."""
    if path.is_dir():
        path = _one_in(path, split)
    if path.suffix.lower() == ".mat":
        if not path.is_file():
            raise DatasetFileError(f"{path}: no such file")
        return load_emnist_mat(path, split)
    return idx_files(path, split).load()


def picture_files(path: Path, split: str = "test") -> list[Path]:
    """The files `load_pictures(path, split)` reads: the `.mat` file, or the images, labels
    and mapping files; `path` alone where it names none (loading it will say why)."""
    try:
        found = _one_in(path, split) if path.is_dir() else path
        if found.suffix.lower() == ".mat":
            return [found]
        files = idx_files(found, split)
    except (DatasetFileError, OSError):
        return [path]
    return [files.images, files.labels, *([] if files.mapping is None else [files.mapping])]


def idx_files(path: Path, split: str = "test") -> IdxFiles:
    """The images, labels and mapping files of `path`: an images file, or a folder with one
    images file of `split` ('test' or 'train'). DatasetFileError says what is missing."""
    images = _one_in(path, split) if path.is_dir() else path
    if not images.is_file():
        raise DatasetFileError(f"{images}: no such file")
    if not is_idx_images(images):
        raise DatasetFileError(
            f"{images}: not an IDX images file (expected a name ending in "
            "images-idx3-ubyte or images-idx3-ubyte.gz)"
        )
    emnist = images.name.lower().startswith("emnist-")
    return IdxFiles(images, _labels_of(images), _mapping_of(images) if emnist else None, emnist)


def _one_in(folder: Path, split: str) -> Path:
    """The one IDX images file of `split`, or the one MATLAB file, in a folder."""
    words = SPLIT_WORDS.get(split, (split,))
    found = sorted(
        p
        for p in folder.iterdir()
        if (is_idx_images(p) and any(w in p.name for w in words)) or p.suffix.lower() == ".mat"
    )
    if len(found) != 1:
        listed = ", ".join(p.name for p in found) or "none"
        raise DatasetFileError(
            f"{folder}: expected one {split} images file (*-{split}-images-idx3-ubyte.gz) or "
            f"one .mat file, found {len(found)} ({listed}); name the file itself"
        )
    return found[0]


def _labels_of(images: Path) -> Path:
    """The labels file beside an images file: the same name with labels-idx1, gzipped or not."""
    name = images.name.replace("images", "labels").replace("idx3", "idx1")
    plain = name.removesuffix(".gz")
    for candidate in (name, plain, plain + ".gz"):
        if (images.parent / candidate).is_file():
            return images.parent / candidate
    raise DatasetFileError(f"{images}: its labels file {name} is not beside it")


def _mapping_of(images: Path) -> Path:
    """EMNIST's mapping file for an images file: emnist-<family>-mapping.txt beside it."""
    family = images.name.split("-")[1] if images.name.count("-") >= 2 else ""
    mapping = images.parent / f"emnist-{family}-mapping.txt"
    if not mapping.is_file():
        raise DatasetFileError(
            f"{images}: EMNIST's labels are numbers whose characters are listed in "
            f"{mapping.name}, which is not beside it"
        )
    return mapping
