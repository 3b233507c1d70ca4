"""Checks the commands make of their arguments before any work: counts that must be whole
numbers in a range, and output files that must be writable and must not be one of the
command's own inputs (found out before a 30-minute training run, not after it)."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Final

from ocrpad import resources
from ocrpad.data.combine import data_files
from ocrpad.files import same_file


def whole_number(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse `type` for an integer ≥ `least` (and ≤ `most`, if given); argparse turns
    its ValueError into the command's usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is below {least}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"{value} is above {most:,}")
        return value

    parse.__name__ = f"whole number ≥ {least}" + ("" if most is None else f" and ≤ {most}")
    return parse


def check_writable(path: Path) -> None:
    """OSError naming `path` when a file cannot be written there: it is a folder, or its folder
    cannot be made or written to. The folder is made (as saving would make it), then a scratch
    file is created in it and removed."""
    if path.is_dir():
        raise OSError(f"cannot write {path}: it is a folder")
    blocking = next((p for p in path.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise OSError(f"cannot write {path}: {blocking} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".probe"):
            pass
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from None


def check_not_an_input(
    output: Path | None, option: str, inputs: Iterable[tuple[str, Path | None]]
) -> None:
    """ValueError naming both when the file `option` writes (`output`; None: not asked for)
    is one the command reads: `inputs` are (the option naming it, a file it reads). Writing
    there would replace the user's data with a model or a picture."""
    if output is None:
        return
    for name, path in inputs:
        if path is not None and same_file(output, path):
            raise ValueError(
                f"{option} {output} is the file {name} reads ({path}): writing there would "
                "destroy it; choose another file"
            )


READ_OPTIONS: Final = ("weights", "init_from", "resume", "config")
"""The options, besides --data, that name files a command reads (where it has them)."""


def read_files(
    args: argparse.Namespace, splits: Sequence[str], options: Sequence[str] = READ_OPTIONS
) -> list[tuple[str, Path | None]]:
    """(option, file) for every file a command's arguments make it read: the files of --data
    for `splits` (`data_files`: a folder stands for its split files), then each of `options`
    the command has (a --weights left out: the shipped model's file)."""
    files: list[tuple[str, Path | None]] = [
        ("--data", f) for f in data_files(args.data or [], splits)
    ]
    for option in options:
        if hasattr(args, option):
            path = getattr(args, option)
            if option == "weights" and path is None:
                path = resources.default_weights_path()
            files.append(("--" + option.replace("_", "-"), path))
    return files
