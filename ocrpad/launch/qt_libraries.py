"""Before Qt starts on Linux/X11: name the system libraries its xcb plugin cannot find.

Without them Qt aborts with "could not load the Qt platform plugin xcb", often blaming a library
that is installed. This module asks the dynamic linker (``ldd``) which libraries the plugin
lacks and turns them into a message with the Debian/Ubuntu packages to install. It never
imports Qt, so it runs before the plugin would be loaded.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

DEBIAN_PACKAGES: Final[Mapping[str, str]] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}
"""Library file → the Debian 12 / Ubuntu package that provides it (the xcb plugin's needs)."""


def platform_requested(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The Qt platform this start will ask for: ``-platform NAME`` wins over $QT_QPA_PLATFORM.

    Empty when neither says (Qt then picks xcb on X11, or Wayland in a Wayland session).
    """
    for flag, value in itertools.pairwise(argv):
        if flag in ("-platform", "--platform"):
            return value
    return environ.get("QT_QPA_PLATFORM", "")


def uses_xcb(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """True when Qt will load its xcb (X11) plugin first on this Linux start."""
    if not sys.platform.startswith("linux"):
        return False
    chosen = platform_requested(argv, environ).split(";")[0].split(":")[0]
    if chosen:
        return chosen == "xcb"
    return not (environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland")


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, found without importing Qt; None if it is not there."""
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def not_found(ldd_output: str) -> list[str]:
    """The library names ``ldd`` reports as "not found", in order, each once."""
    names: list[str] = []
    for line in ldd_output.splitlines():
        name, _, where = line.strip().partition("=>")
        if where.strip() == "not found" and name.strip() not in names:
            names.append(name.strip())
    return names


def missing_libraries(library: Path) -> list[str]:
    """Libraries the dynamic linker cannot find for `library` (and what it needs, in turn).

    Empty when nothing is missing, or when ``ldd`` is not available to tell.
    """
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        done = subprocess.run(
            [ldd, str(library)], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return not_found(done.stdout)


def describe(missing: Sequence[str]) -> str:
    """The message for a start that Qt would abort: what is missing and how to install it."""
    lines = ["ocrpad cannot open its window: Qt's X11 (xcb) plugin needs system libraries"]
    lines.append("that this machine does not have:")
    lines += [f"  {name}" for name in missing]
    packages = sorted({DEBIAN_PACKAGES[name] for name in missing if name in DEBIAN_PACKAGES})
    if packages:
        lines.append("On Debian or Ubuntu, install them with:")
        lines.append(f"  sudo apt-get install {' '.join(packages)}")
    unknown = [name for name in missing if name not in DEBIAN_PACKAGES]
    if unknown:
        lines.append(f"(find the package of {', '.join(unknown)} with your package manager)")
    return "\n".join(lines)


def startup_problem(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> str | None:
    """The message to print instead of starting Qt, or None when the start can go ahead."""
    env = os.environ if environ is None else environ
    if not uses_xcb(argv, env):
        return None
    plugin = xcb_plugin()
    missing = missing_libraries(plugin) if plugin is not None else []
    if missing:
        return describe(missing)
    display = env.get("DISPLAY", "")
    if not display and not env.get("WAYLAND_DISPLAY"):
        return NO_DISPLAY
    if display and not env.get("WAYLAND_DISPLAY") and x_display_answers(display) is False:
        return (
            f"ocrpad cannot open its window: no X server answers on DISPLAY={display}.\n"
            "Start it from the desktop session that display belongs to, or check the install "
            "without one: ocrpad --self-test"
        )
    return None


def x_display_answers(display: str) -> bool | None:
    """Whether a local X display (':N') accepts a connection on its socket (the file in
    /tmp/.X11-unix or its abstract twin); None for a display it cannot test (a remote one)."""
    match = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
    if match is None or not hasattr(socket, "AF_UNIX"):
        return None
    path = f"/tmp/.X11-unix/X{match.group(1)}"
    for address in (path, "\0" + path):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(2.0)
            try:
                connection.connect(address)
            except OSError:
                continue
            return True
    return False


NO_DISPLAY: Final = (
    "ocrpad cannot open its window: there is no display (DISPLAY and WAYLAND_DISPLAY are "
    "unset).\nStart it from a desktop session (over ssh: ssh -X), or check the install "
    "without one: ocrpad --self-test"
)
