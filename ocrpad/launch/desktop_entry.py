"""``ocrpad --install-desktop-entry`` / ``--uninstall-desktop-entry``: ocrpad in the Linux menu.

Menus on Linux desktops (GNOME, KDE, Xfce, ...) list the ``.desktop`` files they find in
``$XDG_DATA_HOME/applications`` (default ``~/.local/share/applications``), per the freedesktop.org
Desktop Entry specification. Installing writes two files there, for this user only:

- ``applications/ocrpad.desktop``: the shipped ``assets/ocrpad.desktop`` with ``Exec=`` and
  ``TryExec=`` pointing at the program running now (the bundle's executable, or this Python
  interpreter with ``-m ocrpad`` for a pip or source install; ``%f`` after it, so that a file
  manager's "Open with ocrpad" opens a picture in the window), ``Icon=`` at the icon below,
  and an ``X-Ocrpad-Installed-By`` line naming the ocrpad that wrote it;
- ``icons/hicolor/256x256/apps/ocrpad.png``: the application icon.

Uninstalling removes exactly those files, and only if the entry carries that line, so a menu
entry that someone else wrote under the same name is left alone. No Qt: it runs without a
display.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ocrpad import __version__, resources

ENTRY_NAME: Final = "ocrpad.desktop"
ICON_SUBDIR: Final = Path("icons", "hicolor", "256x256", "apps")
MARKER_KEY: Final = "X-Ocrpad-Installed-By"
GROUP: Final = "[Desktop Entry]"

# Characters that oblige an Exec argument to be quoted, and those escaped inside the quotes
# (Desktop Entry specification, "The Exec key").
_RESERVED: Final = frozenset(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES: Final = frozenset('"`$\\')


class DesktopEntryError(Exception):
    """The entry could not be installed or removed; the message says why."""


@dataclass(frozen=True)
class Installed:
    """The two files one install wrote."""

    entry: Path
    icon: Path


def entry_path(data_home: Path) -> Path:
    """Where the menu entry goes: ``<data_home>/applications/ocrpad.desktop``."""
    return data_home / "applications" / ENTRY_NAME


def icon_destination(data_home: Path) -> Path:
    """Where the icon goes: ``<data_home>/icons/hicolor/256x256/apps/ocrpad.png``."""
    return data_home / ICON_SUBDIR / resources.ICON_NAME


def launch_command() -> list[str]:
    """The command that starts the running ocrpad again: the bundle's executable when frozen,
    else this interpreter with ``-m ocrpad``. The interpreter's path is kept as it is, links
    and all: a virtual environment's ``bin/python`` is a link to the system's Python, which
    would start without the environment's packages."""
    if not sys.executable:
        return ["python3", "-m", "ocrpad"]
    if resources.is_frozen():
        return [str(Path(sys.executable).resolve())]
    return [str(Path(sys.executable).absolute()), "-m", "ocrpad"]


def launch_folder() -> Path | None:
    """Where the menu entry starts ``python -m ocrpad``: the folder that holds the running
    ``ocrpad`` package, which ``-m`` then imports first. Without it the interpreter imports
    whichever ocrpad its own path finds (another checkout, another version, or none); a
    bundle's executable needs no folder (None)."""
    if resources.is_frozen() or not sys.executable:
        return None
    return Path(__file__).resolve().parent.parent.parent


def exec_value(command: Sequence[str]) -> str:
    """The ``Exec=`` value that runs ``command``: arguments quoted where the specification asks,
    ``%`` doubled, then written as a desktop-file string (backslashes doubled)."""
    words = []
    for word in command:
        if not word or any(char in _RESERVED for char in word):
            inner = "".join(f"\\{c}" if c in _ESCAPED_IN_QUOTES else c for c in word)
            word = f'"{inner}"'
        words.append(word.replace("%", "%%"))
    return string_value(" ".join(words))


def string_value(text: str) -> str:
    """``text`` as a desktop-file string value: backslashes doubled, tabs as ``\\t``."""
    if "\n" in text or "\r" in text:
        raise DesktopEntryError(f"a path with a line break cannot go into a menu entry: {text!r}")
    return text.replace("\\", "\\\\").replace("\t", "\\t")


def render_entry(
    template: str, command: Sequence[str], icon: Path, folder: Path | None = None
) -> str:
    """The template with ``Exec``, ``TryExec`` and ``Icon`` set and the marker added, and
    ``Path`` (the folder the command starts in) when ``folder`` is given.

    Keys of the ``[Desktop Entry]`` group are replaced in place (other groups, such as actions,
    are copied unchanged); keys the template lacks are appended to the group.
    """
    values = {
        "Exec": exec_value(command) + " %f",  # %f: a picture opened with ocrpad
        "TryExec": string_value(command[0]),
        "Icon": string_value(str(icon)),
        MARKER_KEY: f"ocrpad {__version__}",
    }
    if folder is not None:
        values["Path"] = string_value(str(folder))
    lines = template.splitlines()
    if GROUP not in (line.strip() for line in lines):
        raise DesktopEntryError(f"the desktop file template has no {GROUP} group")
    out: list[str] = []
    in_group = False
    pending = dict(values)
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            if in_group:
                _append_before_blank_lines(out, pending)
            in_group = stripped == GROUP
        key = stripped.split("=", 1)[0].strip() if "=" in stripped else None
        if in_group and key in values:
            if key in pending:
                out.append(f"{key}={pending.pop(key)}")
            continue  # a repeated key is dropped
        out.append(line)
    _append_before_blank_lines(out, pending)
    return "\n".join(out) + "\n"


def _append_before_blank_lines(lines: list[str], pending: dict[str, str]) -> None:
    """Add the ``pending`` keys at the end of the group that ``lines`` ends with."""
    at = len(lines)
    while at > 0 and not lines[at - 1].strip():
        at -= 1
    lines[at:at] = [f"{key}={value}" for key, value in pending.items()]
    pending.clear()


def install(data_home: Path | None = None, command: Sequence[str] | None = None) -> Installed:
    """Write the menu entry and its icon under ``data_home`` (default: the XDG data home).

    ``command`` defaults to :func:`launch_command`. Each file is written atomically. Raises
    DesktopEntryError naming the file when a file cannot be read or written.
    """
    home = data_home if data_home is not None else resources.xdg_data_home()
    folder = None
    if command is None:
        command, folder = launch_command(), launch_folder()
    template_path = resources.asset_path(ENTRY_NAME)
    icon_source = resources.icon_path()
    try:
        template = template_path.read_text(encoding="utf-8")
        icon_bytes = icon_source.read_bytes()
    except OSError as error:
        raise DesktopEntryError(f"cannot read the shipped {error.filename}: {error}") from error
    icon = icon_destination(home)
    entry = entry_path(home)
    _write_atomically(icon, icon_bytes)
    _write_atomically(entry, render_entry(template, command, icon, folder).encode("utf-8"))
    return Installed(entry=entry, icon=icon)


def uninstall(data_home: Path | None = None) -> list[Path]:
    """Remove the entry and icon an install wrote; returns the files removed (maybe none).

    Raises DesktopEntryError, touching nothing, when an entry exists that ocrpad did not write.
    """
    home = data_home if data_home is not None else resources.xdg_data_home()
    entry, icon = entry_path(home), icon_destination(home)
    removed: list[Path] = []
    if entry.exists():
        try:
            text = entry.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise DesktopEntryError(f"cannot read {entry}: {error}") from error
        if not any(line.startswith(f"{MARKER_KEY}=") for line in text.splitlines()):
            raise DesktopEntryError(
                f"{entry} was not written by ocrpad --install-desktop-entry; left it alone"
            )
        _remove(entry, removed)
    if icon.exists():
        _remove(icon, removed)
    return removed


def run(install_entry: bool) -> int:
    """The command-line action: install (True) or uninstall (False) and print what was done.

    Returns the exit status: 0 on success, 1 when it failed (the message says why), 2 on a
    platform without freedesktop.org menus (Windows, macOS).
    """
    if sys.platform in ("win32", "darwin"):
        place = "the Start menu" if sys.platform == "win32" else "Applications"
        print(
            f"--{'' if install_entry else 'un'}install-desktop-entry is for Linux desktops; "
            f"on this system, put ocrpad in {place} instead.",
            file=sys.stderr,
        )
        return 2
    try:
        if install_entry:
            done = install()
            print(f"Added ocrpad to the applications menu:\n  {done.entry}\n  {done.icon}")
            print(f"It starts: {' '.join(launch_command())}")
        else:
            removed = uninstall()
            if removed:
                print("Removed ocrpad from the applications menu:")
                print("".join(f"  {path}\n" for path in removed), end="")
            else:
                print("ocrpad was not in the applications menu; nothing to remove.")
    except DesktopEntryError as error:
        print(f"ocrpad: {error}", file=sys.stderr)
        return 1
    return 0


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it (mode 0644)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            Path(temporary).chmod(0o644)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise DesktopEntryError(f"cannot write {path}: {error}") from error


def _remove(path: Path, removed: list[Path]) -> None:
    try:
        path.unlink()
    except OSError as error:
        raise DesktopEntryError(f"cannot remove {path}: {error}") from error
    removed.append(path)
