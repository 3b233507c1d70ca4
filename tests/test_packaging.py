"""Packaging: build.spec's choices, the icons, the desktop file, the entry point and CI script.

build.spec runs here against recording stand-ins for PyInstaller's Analysis/EXE/COLLECT, so its
decisions are checked in milliseconds; `.ci/build-and-selftest` does the real build.
"""

from __future__ import annotations

import configparser
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocrpad import __main__ as entry
from ocrpad import __version__
from ocrpad.launch.qt_options import split_qt_options

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"


class _Recorder:
    """Stands in for one PyInstaller build class: remembers its arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        self.binaries: list[tuple[str, str, str]] = []
        self.datas: list[tuple[str, str, str]] = []
        self.pure: list[Any] = []
        self.scripts: list[Any] = []


FAKE_BINARIES = [
    ("PySide6/Qt/lib/libQt6Widgets.so.6", "/nonexistent/a", "BINARY"),
    ("PySide6/Qt/lib/libQt6WebEngineCore.so.6", "/nonexistent/b", "BINARY"),
    ("PySide6/Qt/lib/libQt6Quick.so.6", "/nonexistent/c", "BINARY"),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", "/nonexistent/d", "BINARY"),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "/nonexistent/e", "BINARY"),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/nonexistent/f", "BINARY"),
    ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", "/nonexistent/g", "BINARY"),
    ("PySide6/Qt6Network.dll", "/nonexistent/h", "BINARY"),
    ("PySide6/opengl32sw.dll", "/nonexistent/l", "BINARY"),
    ("PySide6/plugins/platforms/qwindows.dll", "/nonexistent/m", "BINARY"),
    ("numpy/_core/_multiarray_umath.so", "/nonexistent/i", "EXTENSION"),
]
FAKE_DATAS = [
    ("PySide6/Qt/translations/qtbase_de.qm", "/nonexistent/j", "DATA"),
    ("PySide6/Qt/resources/qtwebengine_resources.pak", "/nonexistent/k", "DATA"),
]


def _run_spec(workpath: Path, platform: str = sys.platform) -> dict[str, Any]:
    """The namespace after executing build.spec with recording stand-ins, as on ``platform``."""

    def analysis(*args: Any, **kwargs: Any) -> _Recorder:
        recorder = _Recorder(*args, **kwargs)
        recorder.binaries = list(FAKE_BINARIES)
        datas = [(f"{folder}/{Path(src).name}", src, "DATA") for src, folder in kwargs["datas"]]
        recorder.datas = datas + list(FAKE_DATAS)
        return recorder

    namespace: dict[str, Any] = {
        "SPECPATH": str(ROOT),
        "workpath": str(workpath),
        "Analysis": analysis,
        **{name: _Recorder for name in ("PYZ", "EXE", "COLLECT", "BUNDLE")},
    }
    source = (ROOT / "build.spec").read_text(encoding="utf-8")
    real_platform = sys.platform
    sys.platform = platform
    try:
        exec(compile(source, "build.spec", "exec"), namespace)
    finally:
        sys.platform = real_platform
    return namespace


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """build.spec as it runs on this machine."""
    return _run_spec(tmp_path_factory.mktemp("work"))


def test_the_spec_builds_a_windowed_one_folder_executable_named_ocrpad(
    spec: dict[str, Any],
) -> None:
    exe, coll = spec["exe"], spec["coll"]
    assert exe.kwargs["name"] == "ocrpad"
    assert exe.kwargs["console"] is False
    assert exe.kwargs["exclude_binaries"] is True  # one folder: binaries sit beside the exe
    assert coll.kwargs["name"] == "ocrpad"
    assert coll.args[0] is exe


def test_the_spec_starts_at_the_entry_point(spec: dict[str, Any]) -> None:
    (script,) = spec["a"].args[0]
    assert Path(script) == ROOT / "ocrpad" / "__main__.py"
    hidden = set(spec["a"].kwargs["hiddenimports"])
    # the app loads its Train tab by name, which PyInstaller cannot see in the imports
    assert {"ocrpad.app.main", "ocrpad.app.train.tab", "ocrpad.launch.selftest"} <= hidden
    assert not any(name.startswith(("ocrpad.cli", "ocrpad.devtools")) for name in hidden)


def test_the_spec_bundles_assets_and_weights_at_the_same_relative_paths(
    spec: dict[str, Any],
) -> None:
    datas = [(s, f) for s, f in spec["a"].kwargs["datas"] if not f.endswith(".dist-info")]
    for source, folder in datas:
        assert Path(source).relative_to(ROOT).parent == Path(folder)
    bundled = {Path(source).relative_to(ROOT).as_posix() for source, _ in datas}
    expected = {"assets/ocrpad.png", "assets/ocrpad.desktop", "assets/selftest_strokes.json"}
    assert expected <= bundled
    # generator scripts and the icons baked into the executable stay out
    assert not any(name.endswith((".py", ".ico", ".icns")) for name in bundled)
    weights = ROOT / "weights" / "ocrpad-default.npz"
    assert ("weights/ocrpad-default.npz" in bundled) == weights.is_file()


def test_the_spec_excludes_unused_qt_modules_test_tools_and_tkinter(
    spec: dict[str, Any],
) -> None:
    excludes = set(spec["a"].kwargs["excludes"])
    for name in ("PySide6.QtWebEngineCore", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtPdf"):
        assert name in excludes
    for name in ("PySide6.QtNetwork", "PySide6.QtMultimedia", "PySide6.Qt3DCore"):
        assert name in excludes
    assert {"pytest", "mypy", "ruff", "tkinter"} <= excludes
    assert not {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets"} & excludes


def test_the_spec_drops_unused_qt_libraries_plugins_and_translations(
    spec: dict[str, Any],
) -> None:
    kept = {dest for dest, _, _ in spec["a"].binaries}
    assert kept == {
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "numpy/_core/_multiarray_umath.so",
    }
    kept_data = {dest for dest, _, _ in spec["a"].datas}
    assert not any(dest.startswith("PySide6/") for dest in kept_data)
    assert "assets/selftest_strokes.json" in kept_data


def test_the_spec_names_platform_icons_that_exist(spec: dict[str, Any]) -> None:
    icon = spec["ICON"]
    assert icon is None or (ROOT / icon).is_file()


def test_the_icons_hold_every_size_the_platforms_ask_for() -> None:
    with Image.open(ASSETS / "ocrpad.png") as png:
        assert png.size == (256, 256)
        assert png.mode == "RGBA"
        corner, centre = png.getpixel((0, 0)), png.getpixel((128, 128))
        assert isinstance(corner, tuple) and isinstance(centre, tuple)
        assert corner[3] == 0  # transparent corners around the rounded square
        assert centre[3] == 255
    with Image.open(ASSETS / "ocrpad.ico") as ico:
        sizes = ico.info["sizes"]
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(sizes)
    with Image.open(ASSETS / "ocrpad.icns") as icns:
        assert icns.size[0] >= 256


def test_the_desktop_file_launches_ocrpad_with_its_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(ASSETS / "ocrpad.desktop", encoding="utf-8")
    entry_group = parser["Desktop Entry"]
    assert entry_group["Type"] == "Application"
    assert entry_group["Name"] == "ocrpad"
    assert entry_group["Exec"].split()[0] == "ocrpad"
    assert entry_group["Icon"] == "ocrpad"
    assert entry_group["Terminal"] == "false"
    assert entry_group["Categories"].endswith(";")


def test_the_desktop_file_offers_ocrpad_only_for_pictures_the_bundle_reads(
    spec: dict[str, Any],
) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ASSETS / "ocrpad.desktop", encoding="utf-8")
    offered = [t for t in parser["Desktop Entry"]["MimeType"].split(";") if t]
    plugin = {"png": "PIL.PngImagePlugin", "jpeg": "PIL.JpegImagePlugin",
              "bmp": "PIL.BmpImagePlugin", "gif": "PIL.GifImagePlugin",
              "tiff": "PIL.TiffImagePlugin", "webp": "PIL._webp"}  # fmt: skip
    for mime in offered:
        assert mime.startswith("image/") and mime[6:] in plugin, mime
        assert plugin[mime[6:]] not in spec["EXCLUDES"], f"{mime}: its reader is left out"


def test_version_prints_without_starting_the_app() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ocrpad", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ocrpad {__version__}"


def test_without_self_test_the_entry_point_starts_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_app_main(weights: Path | None = None, picture: Path | None = None) -> int:
        import os

        seen["argv"] = list(sys.argv)
        seen["data"] = os.environ.get("OCRPAD_DATA_DIR")
        seen["weights"], seen["picture"] = weights, picture
        seen["probe"] = os.environ.get(entry.STARTUP_PROBE_ENV)
        return 7

    fake = types.ModuleType("ocrpad.app.main")
    fake.main = fake_app_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ocrpad.app.main", fake)
    for name in ("OCRPAD_DATA_DIR", entry.STARTUP_PROBE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "argv", ["ocrpad"])
    args = ["--data-dir", str(tmp_path), "-style=fusion", "--weights", "w.npz", "--startup-time"]
    status = entry.main([*args, "-platform", "offscreen", "letter.png"])
    assert status == 7
    assert seen["argv"] == ["ocrpad", "-style=fusion", "-platform", "offscreen"]  # Qt's own
    assert seen["data"] == str(tmp_path)
    assert (seen["weights"], seen["picture"]) == (Path("w.npz"), Path("letter.png"))
    assert float(seen["probe"]) > 0


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--weigths", "w.npz"], "unrecognized arguments: --weigths"),
        (["a.png", "b.png"], "unrecognized arguments: b.png"),
        (["--self-test", "a.png"], "a picture opens in the window, not with --self-test"),
        (["--self-test", "--read", "a.png"], "one action at a time: --self-test and --read"),
        (
            ["--install-desktop-entry", "--uninstall-desktop-entry"],
            "one action at a time: --install-desktop-entry and --uninstall-desktop-entry",
        ),
    ],
)
def test_a_mistyped_option_or_a_second_action_is_refused_before_anything_starts(
    argv: list[str],
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A mistyped option used to pass to Qt, which ignored it: the window opened with the
    shipped model instead of the one named."""
    fake = types.ModuleType("ocrpad.app.main")
    fake.main = lambda **_: pytest.fail("the window started")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ocrpad.app.main", fake)
    with pytest.raises(SystemExit) as exit_:
        entry.main(argv)
    assert exit_.value.code == 2 and said in capsys.readouterr().err


def test_qt_options_are_told_apart_from_ocrpads_with_their_values() -> None:
    argv = ["--platform", "offscreen", "-reverse", "x.png", "-qwindowtitle", "T", "--weights"]
    assert split_qt_options(["-psn_0_123456", "a.png"]) == (["a.png"], ["-psn_0_123456"])
    assert split_qt_options([*argv, "w.npz", "-style=fusion", "--", "-odd.png"]) == (
        ["x.png", "--weights", "w.npz", "--", "-odd.png"],
        ["--platform", "offscreen", "-reverse", "-qwindowtitle", "T", "-style=fusion"],
    )


def _git_mode(path: Path) -> str | None:
    """The file mode git records for `path` ("100755": executable), or None outside a git
    checkout (a source archive) or without git."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-s", "--", str(path.relative_to(ROOT))],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
    except OSError:
        return None
    return listed[0] if listed else None


def test_the_ci_script_is_valid_bash_and_executable() -> None:
    script = ROOT / ".ci" / "build-and-selftest"
    if sys.platform != "win32":  # Windows marks only .exe, .bat, .cmd and .com names executable
        assert script.stat().st_mode & 0o111
    assert _git_mode(script) in ("100755", None)  # what a fresh clone on Linux and macOS gets
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    text = script.read_text(encoding="utf-8")
    assert "build.spec" in text and "--self-test" in text


def _eval_version_resource(text: str) -> Any:
    """Evaluate the Windows version text with stand-ins for PyInstaller's versioninfo classes
    (which import a Windows-only module): each records its arguments as a SimpleNamespace."""

    def recorder(kind: str) -> Any:
        def make(*args: Any, **kwargs: Any) -> types.SimpleNamespace:
            return types.SimpleNamespace(kind=kind, args=args, **kwargs)

        return make

    kinds = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct")
    namespace = {kind: recorder(kind) for kind in (*kinds, "VarFileInfo", "VarStruct")}
    return eval(text, {"__builtins__": {}}, namespace)


def test_the_bundle_carries_package_metadata_with_the_pyproject_version(
    spec: dict[str, Any],
) -> None:
    (metadata,) = [(s, f) for s, f in spec["a"].kwargs["datas"] if f.endswith(".dist-info")]
    assert metadata[1] == f"ocrpad-{__version__}.dist-info"
    text = Path(metadata[0]).read_text(encoding="utf-8")
    assert "Name: ocrpad\n" in text and f"Version: {__version__}\n" in text


@pytest.mark.parametrize(
    ("platform", "icon"),
    [("linux", None), ("win32", "assets/ocrpad.ico"), ("darwin", "assets/ocrpad.icns")],
)
def test_each_platform_gets_its_own_icon(platform: str, icon: str | None, tmp_path: Path) -> None:
    namespace = _run_spec(tmp_path, platform)
    assert namespace["exe"].kwargs["icon"] == icon
    assert (ROOT / namespace["ICON"]).is_file()
    if platform == "linux":  # the PNG the window and the menu entry use ships as data
        assert namespace["ICON"] == "assets/ocrpad.png"
        shipped = {Path(s).name for s, _ in namespace["a"].kwargs["datas"]}
        assert "ocrpad.png" in shipped


def test_the_windows_executable_carries_the_version_in_its_version_resource(
    tmp_path: Path,
) -> None:
    exe = _run_spec(tmp_path, "win32")["exe"]
    info = _eval_version_resource(Path(exe.kwargs["version"]).read_text(encoding="utf-8"))
    numbers = (*(int(n) for n in __version__.split(".")[:3]), 0)
    assert info.ffi.filevers == info.ffi.prodvers == numbers
    string_file_info, var_file_info = info.kids
    (table,) = string_file_info.args[0]
    strings = {struct.args[0]: struct.args[1] for struct in table.args[1]}
    assert strings["FileVersion"] == strings["ProductVersion"] == __version__
    assert strings["OriginalFilename"] == "ocrpad.exe"
    assert var_file_info.args[0][0].args == ("Translation", [0x0409, 1200])


def test_off_windows_the_executable_has_no_version_resource(spec: dict[str, Any]) -> None:
    assert spec["exe"].kwargs["version"] is None
    assert "app" not in spec  # the macOS bundle only on macOS


def test_the_macos_app_has_a_bundle_identifier_version_and_icon(tmp_path: Path) -> None:
    namespace = _run_spec(tmp_path, "darwin")
    app = namespace["app"]
    assert app.args[0] is namespace["coll"]
    assert app.kwargs["name"] == "ocrpad.app"
    assert app.kwargs["bundle_identifier"] == "org.ocrpad.ocrpad"
    assert app.kwargs["version"] == __version__
    assert app.kwargs["icon"] == "assets/ocrpad.icns"
    plist = app.kwargs["info_plist"]
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == __version__
    assert plist["NSHighResolutionCapable"] is True
    (pictures,) = plist["CFBundleDocumentTypes"]  # Finder's "Open With" offers ocrpad for them
    assert pictures["CFBundleTypeRole"] == "Viewer"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ASSETS / "ocrpad.desktop", encoding="utf-8")
    offered = {t[6:] for t in parser["Desktop Entry"]["MimeType"].split(";") if t}
    types = {"png": "public.png", "jpeg": "public.jpeg", "bmp": "com.microsoft.bmp",
             "gif": "com.compuserve.gif", "tiff": "public.tiff"}  # fmt: skip
    assert set(pictures["LSItemContentTypes"]) == {types[kind] for kind in offered}
