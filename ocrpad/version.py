"""ocrpad's version, from its one source: ``version`` in the ``[project]`` table of pyproject.toml.

Everything else derives from that line: the package metadata that pip writes when it installs
ocrpad, the metadata that ``build.spec`` puts into the bundle, ``ocrpad --version``, the About
box, the window's status bar and the ``written_by`` field of every model file saved.

An installed ocrpad (a wheel, or the bundle) reads its package metadata. A source checkout reads
pyproject.toml itself, because an editable install's metadata is written once, at install time,
and would go on showing the old version after a bump until the checkout is reinstalled.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

DISTRIBUTION: Final = "ocrpad"
UNKNOWN: Final = "0+unknown"
"""Shown when neither pyproject.toml nor the package metadata can be found (a broken install)."""

_TABLE = re.compile(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*(name|version)\s*=\s*(["'])([^"']+)\2\s*(#.*)?$""")


def pyproject_version(path: Path) -> str:
    """The ``[project]`` version of the pyproject.toml at ``path``.

    Raises ``ValueError`` naming the file when it has no static ``[project]`` version, and
    ``OSError`` when it cannot be read. (A small reader of the two keys it needs: ``tomllib``
    arrived only in Python 3.11, and ocrpad supports 3.10.)
    """
    keys = _project_keys(path.read_text(encoding="utf-8"))
    if "version" not in keys:
        raise ValueError(f"{path} has no version in its [project] table")
    return keys["version"]


def _project_keys(text: str) -> dict[str, str]:
    """The ``name`` and ``version`` string values of the ``[project]`` table of a TOML text."""
    keys: dict[str, str] = {}
    table = ""
    for line in text.splitlines():
        header = _TABLE.match(line)
        if header:
            table = header.group(1).strip()
            continue
        key = _KEY.match(line)
        if table == "project" and key:
            keys.setdefault(key.group(1), key.group(3))
    return keys


def source_pyproject() -> Path | None:
    """ocrpad's own pyproject.toml when running from a source checkout, else None."""
    candidate = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        keys = _project_keys(candidate.read_text(encoding="utf-8"))
    except OSError:  # absent in installed copies and in the bundle
        return None
    return candidate if keys.get("name") == DISTRIBUTION else None


def current_version() -> str:
    """The running ocrpad's version: pyproject.toml in a checkout, else the package metadata."""
    source = source_pyproject()
    if source is not None:
        return pyproject_version(source)
    from importlib import metadata  # lazy: ~25 ms to import, needed only when installed

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return UNKNOWN
