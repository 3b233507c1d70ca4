"""Shared fixtures. Qt runs offscreen so the suite needs no display."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
UNIPEN_DIR = SHARED_DATA / "unipen"


@pytest.fixture
def unipen_dir() -> Path:
    """The shared UNIPEN folder; tests that need it skip cleanly when it is absent."""
    if not (UNIPEN_DIR / "unipen-test.npz").is_file():
        pytest.skip(f"shared handwriting data not found at {UNIPEN_DIR}")
    return UNIPEN_DIR


@pytest.fixture(params=[True, False], ids=["row-windows", "im2col"])
def conv_road(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Both roads of a stride-1 convolution, whatever this machine's BLAS would choose
    (`nn.conv_rows.FORCE_ROWS`): row windows where they fit, or full im2col columns."""
    from ocrpad.nn import conv_rows

    before = conv_rows.FORCE_ROWS[0]
    conv_rows.FORCE_ROWS[0] = bool(request.param)
    try:
        yield bool(request.param)
    finally:
        conv_rows.FORCE_ROWS[0] = before
