"""One version, from pyproject.toml: the package, ``--version`` and every model file agree."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import ocrpad
from ocrpad import version
from ocrpad.model import build_model
from ocrpad.nn import load_arrays

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def test_the_package_version_is_the_one_in_pyproject() -> None:
    assert version.source_pyproject() == PYPROJECT
    assert ocrpad.__version__ == version.pyproject_version(PYPROJECT)
    assert ocrpad.__version__.count(".") >= 2  # major.minor.patch


def test_ocrpad_version_prints_the_pyproject_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ocrpad", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ocrpad {version.pyproject_version(PYPROJECT)}"


def test_only_the_project_table_gives_the_version(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.other]\nversion = "9.9.9"\n\n[project]\nname = "ocrpad"  # the app\n'
        "version = '1.2.3'  # bumped\n\n[tool.after]\nversion = \"7.7.7\"\n",
        encoding="utf-8",
    )
    assert version.pyproject_version(path) == "1.2.3"


def test_a_pyproject_without_a_static_version_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "ocrpad"\ndynamic = ["version"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"pyproject\.toml has no version"):
        version.pyproject_version(path)


def test_an_installed_copy_reads_its_package_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(version, "source_pyproject", lambda: None)
    monkeypatch.setattr(metadata, "version", lambda name: {"ocrpad": "4.5.6"}[name])
    assert version.current_version() == "4.5.6"


def test_without_metadata_or_pyproject_the_version_says_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(version, "source_pyproject", lambda: None)
    monkeypatch.setattr(metadata, "version", missing)
    assert version.current_version() == version.UNKNOWN


def test_a_saved_model_file_records_the_ocrpad_that_wrote_it(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    build_model().save(path)
    _, meta = load_arrays(path)
    assert meta["written_by"] == f"ocrpad {ocrpad.__version__}"
