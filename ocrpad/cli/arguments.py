"""Checks the commands make of their arguments before any work: counts that must be whole
numbers in a range, and output files that must be writable (found out before a 30-minute
training run, not after it)."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path


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
