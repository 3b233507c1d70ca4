"""`ocrpad` names the system libraries Qt's xcb plugin lacks instead of letting Qt abort."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import types
from pathlib import Path

import pytest

from ocrpad import __main__ as entry
from ocrpad.launch import qt_libraries

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007fcc)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007fcc)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is Linux's")


def test_ldd_output_gives_each_missing_library_once_in_order() -> None:
    assert qt_libraries.not_found(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def test_the_message_lists_the_libraries_and_the_packages_to_install() -> None:
    text = qt_libraries.describe(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libodd.so.3"])
    assert "  libxcb-icccm.so.4\n  libxcb-keysyms.so.1\n  libodd.so.3" in text
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in text
    assert "libodd.so.3 with your package manager" in text


@linux_only
@pytest.mark.parametrize(
    ("argv", "environ", "xcb"),
    [
        ([], {}, True),
        ([], {"QT_QPA_PLATFORM": "xcb"}, True),
        ([], {"QT_QPA_PLATFORM": "offscreen"}, False),
        (["-platform", "offscreen"], {"QT_QPA_PLATFORM": "xcb"}, False),
        (["-platform", "xcb"], {"QT_QPA_PLATFORM": "offscreen"}, True),
        ([], {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, False),
        ([], {"QT_QPA_PLATFORM": "wayland;xcb"}, False),
    ],
)
def test_only_a_start_on_x11_is_checked(
    argv: list[str], environ: dict[str, str], xcb: bool
) -> None:
    assert qt_libraries.uses_xcb(argv, environ) is xcb


@linux_only
def test_the_offscreen_plugin_the_tests_use_lacks_nothing() -> None:
    plugin = qt_libraries.xcb_plugin()
    assert plugin is not None
    offscreen = plugin.with_name("libqoffscreen.so")
    assert qt_libraries.missing_libraries(offscreen) == []


@linux_only
@pytest.mark.skipif(shutil.which("cc") is None or shutil.which("ldd") is None, reason="no cc")
def test_a_library_whose_dependency_was_removed_is_reported_by_name(tmp_path: Path) -> None:
    (tmp_path / "ghost.c").write_text("int ghost(void) { return 1; }\n")
    (tmp_path / "user.c").write_text("int ghost(void);\nint user(void) { return ghost(); }\n")
    ghost, user = tmp_path / "libocrpadghost.so.1", tmp_path / "libuser.so"
    build = ["cc", "-shared", "-fPIC", "-Wl,--no-as-needed", "-o"]
    subprocess.run(
        [*build, ghost, tmp_path / "ghost.c", "-Wl,-soname,libocrpadghost.so.1"], check=True
    )
    subprocess.run([*build, user, tmp_path / "user.c", ghost], check=True)
    ghost.unlink()
    assert qt_libraries.missing_libraries(user) == ["libocrpadghost.so.1"]


def test_the_entry_point_prints_the_missing_libraries_and_never_starts_qt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def app_main() -> int:
        raise AssertionError("the app must not start")

    fake = types.ModuleType("ocrpad.app.main")
    fake.main = app_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ocrpad.app.main", fake)
    monkeypatch.setattr(sys, "argv", ["ocrpad"])
    monkeypatch.setattr(qt_libraries, "uses_xcb", lambda argv, environ: True)
    monkeypatch.setattr(qt_libraries, "xcb_plugin", lambda: Path("libqxcb.so"))
    monkeypatch.setattr(qt_libraries, "missing_libraries", lambda plugin: ["libxcb-icccm.so.4"])
    assert entry.main(["-platform", "xcb"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4" in err
    assert "apt-get install libxcb-icccm4" in err


@linux_only
def test_an_x11_start_without_a_display_says_so_instead_of_aborting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(qt_libraries, "missing_libraries", lambda plugin: [])
    message = qt_libraries.startup_problem([], {"QT_QPA_PLATFORM": "xcb"})
    assert message is not None and "no display" in message and "--self-test" in message
    remote = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": "remote.example:0"}  # not testable here
    assert qt_libraries.startup_problem([], remote) is None


@linux_only
def test_a_display_no_x_server_answers_on_is_named_and_a_live_one_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(qt_libraries, "missing_libraries", lambda plugin: [])
    number = 64000 + os.getpid() % 1000  # a display number nothing listens on
    message = qt_libraries.startup_problem([], {"QT_QPA_PLATFORM": "xcb", "DISPLAY": f":{number}"})
    assert message is not None and f"DISPLAY=:{number}" in message
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:  # an abstract socket:
        server.bind(f"\0/tmp/.X11-unix/X{number}")  # no file is left behind
        server.listen(1)
        assert qt_libraries.x_display_answers(f":{number}") is True
        env = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": f":{number}.0"}
        assert qt_libraries.startup_problem([], env) is None
    assert qt_libraries.x_display_answers("remote.example:0") is None
