"""Hand-built `.npy` members: array headers no NumPy writer would make."""

from __future__ import annotations

import zipfile
from pathlib import Path

CUT_HEADER = b"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2"
"""A header cut off inside its brackets: NumPy's parser raises tokenize.TokenError."""

HUGE_HEADER = b"{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }"
"""A header that claims 40 GB: the member holds 64 bytes."""


def npy_member(header: bytes) -> bytes:
    """A version 1.0 `.npy` member with `header` as its header text and 64 bytes of data."""
    start = b"\x93NUMPY\x01\x00"
    header += b" " * (-(len(start) + 2 + len(header) + 1) % 64) + b"\n"
    return start + len(header).to_bytes(2, "little") + header + b"\0" * 64


def replace_member(path: Path, name: str, header: bytes) -> Path:
    """Rewrite the `.npz` at `path` with its member `name` (e.g. "points.npy") replaced by a
    member with `header`; returns path."""
    with zipfile.ZipFile(path) as archive:
        members = {m: archive.read(m) for m in archive.namelist()}
    members[name] = npy_member(header)
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path
