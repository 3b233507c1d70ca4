"""The Linux menu entry: installed under the user's data home, read back as the spec reads it."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ocrpad import __version__, resources
from ocrpad.launch import desktop_entry

ROOT = Path(__file__).resolve().parent.parent


def _unescape_string(value: str) -> str:
    """A desktop-file string value as the specification decodes it."""
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars)
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[nxt])
        else:
            out.append(char)
    return "".join(out)


def _exec_arguments(value: str) -> list[str]:
    """The argument vector a launcher gets from an Exec value, less its one field code: the
    %f that a file manager replaces with the picture opened with ocrpad."""
    text = _unescape_string(value)
    assert text.endswith(" %f") and text.count("%f") == 1
    text = text.removesuffix(" %f")
    words: list[str] = []
    word: list[str] = []
    quoted = started = False
    chars = iter(text)
    for char in chars:
        if quoted:
            if char == "\\":
                word.append(next(chars))
            elif char == '"':
                quoted = False
            else:
                word.append(char)
        elif char == '"':
            quoted = started = True
        elif char == " ":
            if started:
                words.append("".join(word).replace("%%", "%"))
            word, started = [], False
        else:
            assert char not in desktop_entry._RESERVED, f"unquoted reserved {char!r} in {value}"
            word.append(char)
            started = True
    assert not quoted, f"unbalanced quotes in {value}"
    if started:
        words.append("".join(word).replace("%%", "%"))
    return words


def _read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home folder, with XDG_DATA_HOME unset."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))  # Path.home() on Windows
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return tmp_path


def test_install_then_uninstall_round_trips_in_an_empty_home(home: Path) -> None:
    installed = desktop_entry.install()
    share = home / ".local" / "share"
    assert installed.entry == share / "applications" / "ocrpad.desktop"
    assert installed.icon == share / "icons" / "hicolor" / "256x256" / "apps" / "ocrpad.png"
    assert installed.icon.read_bytes() == resources.icon_path().read_bytes()

    entry = _read_entry(installed.entry)
    assert _exec_arguments(entry["Exec"]) == desktop_entry.launch_command()
    assert _unescape_string(entry["TryExec"]) == desktop_entry.launch_command()[0]
    # python -m ocrpad starts where this ocrpad package is, so it imports this one, not another
    assert Path(_unescape_string(entry["Path"])) == Path(desktop_entry.__file__).parents[2]
    assert Path(_unescape_string(entry["Icon"])) == installed.icon
    assert entry[desktop_entry.MARKER_KEY] == f"ocrpad {__version__}"
    assert entry["Name"] == "ocrpad" and entry["Type"] == "Application"

    assert sorted(desktop_entry.uninstall()) == sorted([installed.entry, installed.icon])
    assert not installed.entry.exists() and not installed.icon.exists()
    assert desktop_entry.uninstall() == []


def test_not_frozen_the_entry_runs_this_interpreter_with_dash_m_ocrpad(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A virtual environment's python is a link to the system's: the entry must name the
    link, or the menu would start a Python without the environment's packages."""
    assert desktop_entry.launch_command() == [str(Path(sys.executable).absolute()), "-m", "ocrpad"]
    venv_python = tmp_path / "venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(Path(sys.executable).resolve())
    monkeypatch.setattr(sys, "executable", str(venv_python))
    assert desktop_entry.launch_command() == [str(venv_python), "-m", "ocrpad"]


def test_in_the_bundle_the_entry_runs_the_bundle_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable = tmp_path / "dist" / "ocrpad" / "ocrpad"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "dist" / "ocrpad" / "_internal"), False)
    monkeypatch.setattr(sys, "executable", str(executable))
    assert desktop_entry.launch_command() == [str(executable)]
    assert desktop_entry.launch_folder() is None  # the executable carries its own ocrpad


def test_xdg_data_home_is_respected_and_a_relative_one_ignored(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg"))
    assert desktop_entry.install().entry == home / "xdg" / "applications" / "ocrpad.desktop"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/share")  # the XDG rule: ignore it
    assert desktop_entry.install().entry.is_relative_to(home / ".local" / "share")


@pytest.mark.parametrize(
    "executable",
    [
        "/opt/ocrpad/ocrpad",
        "/home/ann/My Apps/ocrpad 0.1/ocrpad",
        '/tmp/odd "quoted" $HOME `cmd` back\\slash 100%/ocrpad',
        "/tmp/semi;colon&amp(paren)*?#~<>|/ocrpad",
    ],
)
def test_exec_quotes_any_path_so_the_launcher_gets_it_back(executable: str, home: Path) -> None:
    command = [executable, "-m", "ocrpad"]
    entry = _read_entry(desktop_entry.install(command=command).entry)
    assert _exec_arguments(entry["Exec"]) == command
    assert _unescape_string(entry["TryExec"]) == executable


def test_a_path_with_a_line_break_is_refused_before_anything_is_written(home: Path) -> None:
    with pytest.raises(desktop_entry.DesktopEntryError, match="line break"):
        desktop_entry.install(command=["/tmp/a\nb/ocrpad"])
    assert not desktop_entry.entry_path(home / ".local" / "share").exists()


def test_uninstall_leaves_an_entry_that_ocrpad_did_not_write(home: Path) -> None:
    entry = desktop_entry.entry_path(home / ".local" / "share")
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nType=Application\nName=other\nExec=other\n", "utf-8")
    with pytest.raises(desktop_entry.DesktopEntryError, match="not written by ocrpad"):
        desktop_entry.uninstall()
    assert entry.is_file()


def test_rendering_replaces_keys_in_the_main_group_only_and_adds_missing_ones() -> None:
    template = (
        "# comment\n[Desktop Entry]\nName=ocrpad\nExec=old\nIcon=old\nExec=dup\n"
        "Actions=new;\n\n[Desktop Action new]\nName=New\nExec=old --new\n"
    )
    text = desktop_entry.render_entry(template, ["/bin/ocrpad"], Path("/icons/ocrpad.png"))
    main, action = text.split("[Desktop Action new]")
    assert main.count("\nExec=") == 1 and "\nExec=/bin/ocrpad %f\n" in main
    assert "Icon=/icons/ocrpad.png\n" in main and "TryExec=/bin/ocrpad\n" in main
    assert main.endswith(f"{desktop_entry.MARKER_KEY}=ocrpad {__version__}\n\n")
    assert "Exec=old --new" in action and text.startswith("# comment\n")


def test_install_writes_nothing_half_done_when_the_folder_is_not_writable(
    home: Path,
) -> None:
    share = home / ".local" / "share"
    share.mkdir(parents=True)
    (share / "applications").write_text("a file where a folder should be", "utf-8")
    with pytest.raises(desktop_entry.DesktopEntryError, match="cannot write"):
        desktop_entry.install()
    assert not list((share / "icons").rglob("*.tmp"))


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="no desktop-file-utils")
def test_the_installed_entry_passes_desktop_file_validate(home: Path) -> None:
    entry = desktop_entry.install(command=["/home/ann/My Apps/ocrpad"]).entry
    result = subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Linux menus")
def test_the_command_line_installs_and_uninstalls_in_a_temp_home(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}

    def ocrpad(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ocrpad", *args], env=env, capture_output=True, text=True
        )

    installed = ocrpad("--install-desktop-entry")
    assert installed.returncode == 0, installed.stderr
    entry = tmp_path / ".local" / "share" / "applications" / "ocrpad.desktop"
    assert str(entry) in installed.stdout
    assert _exec_arguments(_read_entry(entry)["Exec"])[1:] == ["-m", "ocrpad"]
    removed = ocrpad("--uninstall-desktop-entry")
    assert removed.returncode == 0, removed.stderr
    assert "Removed" in removed.stdout and not entry.exists()
    again = ocrpad("--uninstall-desktop-entry")
    assert again.returncode == 0 and "nothing to remove" in again.stdout


def test_on_windows_and_macos_the_menu_entry_is_declined(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert desktop_entry.run(install_entry=True) == 2
    assert "for Linux desktops" in capsys.readouterr().err
    assert not (home / ".local").exists()
