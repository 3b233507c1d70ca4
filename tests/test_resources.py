"""resources.py finds assets, weights and the user data folder in source and frozen layouts."""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import pytest

from ocrpad import resources
from ocrpad.launch import selftest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ocrpad"


@pytest.fixture
def frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pretend to run inside a PyInstaller bundle whose data folder is ``tmp_path``."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    return tmp_path


def test_source_layout_finds_the_folders_beside_the_package() -> None:
    assert not resources.is_frozen()
    assert resources.assets_dir() == ROOT / "assets"
    assert resources.weights_dir() == ROOT / "weights"
    assert resources.default_weights_path() == ROOT / "weights" / "ocrpad-default.npz"
    assert resources.asset_path("ocrpad.png") == ROOT / "assets" / "ocrpad.png"


def test_frozen_layout_resolves_everything_under_the_bundle_data_folder(frozen: Path) -> None:
    assert resources.is_frozen()
    assert resources.base_dir() == frozen
    assert resources.assets_dir() == frozen / "assets"
    assert resources.weights_dir() == frozen / "weights"
    assert resources.default_weights_path() == frozen / "weights" / "ocrpad-default.npz"
    assert resources.icon_path() == frozen / "assets" / "ocrpad.png"


def test_frozen_layout_serves_the_self_test_its_drawings(frozen: Path) -> None:
    (frozen / "assets").mkdir()
    shutil.copy(ROOT / "assets" / selftest.DRAWINGS_ASSET, frozen / "assets")
    assert [d.label for d in selftest.load_drawings()] == [
        d.label for d in selftest.load_drawings(ROOT / "assets" / selftest.DRAWINGS_ASSET)
    ]
    (frozen / "assets" / selftest.DRAWINGS_ASSET).unlink()
    with pytest.raises(selftest.SelfTestError, match=str(frozen)):
        selftest.load_drawings()


def test_a_frozen_flag_without_a_bundle_folder_keeps_the_source_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert resources.assets_dir() == ROOT / "assets"


@pytest.mark.parametrize("name", ["../weights/ocrpad-default.npz", "/etc/passwd", "a/../../b"])
def test_asset_names_cannot_leave_the_assets_folder(name: str) -> None:
    with pytest.raises(ValueError, match="inside assets/"):
        resources.asset_path(name)


def test_user_data_folder_prefers_the_argument_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(resources.DATA_DIR_ENV, str(tmp_path / "env"))
    assert resources.user_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resources.user_data_dir() == tmp_path / "env"


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", "home/.local/share/ocrpad"),
        ("darwin", "home/Library/Application Support/ocrpad"),
        ("win32", "appdata/ocrpad"),
    ],
)
def test_user_data_folder_is_the_platform_data_folder(
    platform: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(resources.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata"))
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path / "home"))
    monkeypatch.setattr(sys, "platform", platform)
    assert resources.user_data_dir() == tmp_path / expected


def test_user_data_folder_follows_xdg_data_home_on_linux(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(resources.DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resources.user_data_dir() == tmp_path / "xdg" / "ocrpad"


def test_user_data_never_lives_in_the_install_folders(frozen: Path) -> None:
    data = resources.user_data_dir()
    for folder in (resources.assets_dir(), resources.weights_dir(), frozen):
        assert folder not in data.parents and data != folder


def _named_assets() -> set[str]:
    """Asset names the code passes to asset_path() as literals, plus the named constants."""
    names = {resources.ICON_NAME, selftest.DRAWINGS_ASSET}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) == "asset_path"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(str(node.args[0].value))
    return names


def test_every_asset_the_code_names_exists() -> None:
    names = _named_assets()
    assert {"ocrpad.png", "selftest_strokes.json"} <= names
    missing = sorted(n for n in names if not resources.asset_path(n).is_file())
    assert not missing, f"named in code but absent from assets/: {missing}"


def test_the_packaging_assets_exist() -> None:
    for name in ("ocrpad.png", "ocrpad.ico", "ocrpad.icns", "ocrpad.desktop"):
        assert resources.asset_path(name).is_file(), name


def test_the_shipped_weights_exist() -> None:
    path = resources.default_weights_path()
    if not path.is_file():
        pytest.skip(f"the shipped model has not been committed yet: {path} is absent")
    assert path.stat().st_size > 0


def test_a_wheel_installs_every_file_the_app_reads_as_data_files() -> None:
    """`pip install .` (not editable) leaves the repository behind: the wheel must carry the
    shipped model, the rehearsal set and every asset the code names."""
    tomllib = pytest.importorskip("tomllib")
    with (ROOT / "pyproject.toml").open("rb") as f:
        data_files = tomllib.load(f)["tool"]["setuptools"]["data-files"]
    shipped = {
        Path(folder).relative_to("share/ocrpad") / Path(name).name
        for folder, names in data_files.items()
        for name in names
    }
    needed = {Path("assets") / name for name in _named_assets()}
    needed |= {Path("weights") / "ocrpad-default.npz", Path("weights") / "rehearsal.npz"}
    assert needed <= shipped
    assert all((ROOT / path).is_file() for path in shipped)


def test_an_installed_wheel_finds_its_files_under_its_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_packages, prefix = tmp_path / "lib" / "site-packages", tmp_path / "env"
    (site_packages / "ocrpad").mkdir(parents=True)  # no weights/ beside the package
    (prefix / "share" / "ocrpad" / "weights").mkdir(parents=True)
    monkeypatch.setattr(resources, "__file__", str(site_packages / "ocrpad" / "resources.py"))
    monkeypatch.setattr(sys, "prefix", str(prefix))
    assert resources.weights_dir() == prefix / "share" / "ocrpad" / "weights"
    assert (
        resources.asset_path("ocrpad.png") == prefix / "share" / "ocrpad" / "assets" / "ocrpad.png"
    )
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "elsewhere"))  # none found: the source's
    assert resources.weights_dir() == site_packages / "weights"
