"""The user's settings: read without trusting them, and the window's restored and saved.

``QSettings`` hands back whatever the INI file holds: text where a number belongs, a number
with twenty digits, a list, superscript digits that ``str.isdigit`` accepts but ``int`` does
not. Each reader here returns a value of the right type within its range, or the default, so
that a damaged or hand-edited settings file never stops ocrpad from starting.

Some values Qt itself cannot be trusted with: ``@Variant(…)`` and ``@DateTime(…)`` are binary
``QDataStream`` data, and one with a bad length makes Qt abort (``std::bad_alloc``) as the file
is first read, before any reader here sees a value. ocrpad writes neither (its window states are
``@ByteArray``), so a file holding one is moved aside unread (`set_aside_unsafe`).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Final, Protocol

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QAction

from ocrpad.app.draw.tab import DrawTab
from ocrpad.app.theme import Theme, parse_theme

MAX_TEXT: Final = 1000  # characters in a text setting
MAX_BYTES: Final = 64 * 1024  # saved window geometry and splitter states are ~100 bytes
_INTEGER: Final = re.compile(r"[+-]?[0-9]{1,12}")  # ASCII digits only, one sign at most
UNSAFE: Final = ("@Variant(", "@DateTime(")  # QDataStream data: a bad one aborts Qt
MAX_FILE: Final = 1024 * 1024  # bytes of settings file read for the check (ocrpad's: ~500)


def unsafe_values(text: str) -> bool:
    """Whether an INI file's text holds a value (or a list's item) that Qt would decode as
    ``QDataStream`` data. ``@@`` is an escaped ``@`` in a text, not such a value."""
    for line in text.splitlines():
        value = line.partition("=")[2] if "=" in line else line  # else a continued line
        items = (item.strip().strip('"').lstrip() for item in value.split(","))
        if any(item.startswith(UNSAFE) for item in items):
            return True
    return False


def set_aside_unsafe(settings: QSettings) -> tuple[QSettings, str]:
    """``settings`` — or, if its INI file holds a value Qt cannot safely read, a new QSettings
    on the same path once the file is renamed ``<name>.bad-<time>`` (the old object keeps
    the file's text it read when made, and must not be read) — and a message saying so."""
    if settings.format() != QSettings.Format.IniFormat:
        return settings, ""
    path = Path(settings.fileName())
    try:
        with path.open("rb") as f:
            text = f.read(MAX_FILE).decode("latin-1")
    except OSError:  # none yet, or not readable: Qt reads nothing either
        return settings, ""
    if not unsafe_values(text):
        return settings, ""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside, number = path.with_name(f"{path.name}.bad-{stamp}"), 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.bad-{stamp}-{number}")
    try:
        path.rename(aside)
    except OSError as exc:  # a read-only folder: Qt could not save to it anyway
        elsewhere = Path(tempfile.gettempdir()) / f"ocrpad-settings-{os.getpid()}.ini"
        elsewhere.unlink(missing_ok=True)
        message = (
            f"The settings file {path} holds a value Qt cannot read safely and could not be "
            f"moved aside ({exc}); it is not read, and the default settings are used."
        )
        return QSettings(str(elsewhere), QSettings.Format.IniFormat), message
    fresh = QSettings(str(path), QSettings.Format.IniFormat)
    message = (
        f"The settings file held a value Qt cannot read safely; it was moved to {aside} "
        "and the default settings are used."
    )
    return fresh, message


def read_int(settings: QSettings, key: str, default: int, low: int, high: int) -> int:
    """An integer setting within [low, high]; the default for anything else."""
    value = settings.value(key, default)
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not _INTEGER.fullmatch(text):
            return default
        number = int(text)
    return number if low <= number <= high else default


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    value = settings.value(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text == "true" else False if text == "false" else default


def read_text(settings: QSettings, key: str, default: str, max_length: int = MAX_TEXT) -> str:
    """A text setting of at most ``max_length`` characters without control characters."""
    value = settings.value(key, default)
    if not isinstance(value, str) or len(value) > max_length:
        return default
    return value if value.isprintable() else default


def read_bytes(settings: QSettings, key: str) -> QByteArray | None:
    """Saved widget state (geometry, splitter): bytes of a sane size, or None."""
    value = settings.value(key)
    if isinstance(value, QByteArray) and 0 < value.size() <= MAX_BYTES:
        return value
    return None


class SettingsHost(Protocol):
    """What restoring and saving need of the window (``MainWindow`` provides it; a protocol,
    so that this module and the main window do not import each other)."""

    settings: QSettings
    draw: DrawTab
    actions_by_name: dict[str, QAction]

    def set_theme(self, theme: Theme) -> None: ...
    def set_character_set(self, labels: Iterable[str] | None) -> None: ...
    def restoreGeometry(self, geometry: QByteArray, /) -> bool: ...  # noqa: N802  (Qt's name)
    def saveGeometry(self) -> QByteArray: ...  # noqa: N802  (Qt's name)
    def resize(self, w: int, h: int, /) -> None: ...
    def width(self) -> int: ...


def restore_window(window: SettingsHost) -> None:
    """Pen width, theme, character set, guides, geometry and splitter from ``window.settings``;
    every value is checked, and a bad one falls back to its default."""
    settings, draw = window.settings, window.draw
    pen = draw.pen_width
    pen.setValue(read_int(settings, "pen_width", 14, pen.minimum(), pen.maximum()))
    window.set_theme(parse_theme(read_text(settings, "theme", "light")))
    window.set_character_set(read_text(settings, "character_set", "") or None)
    window.actions_by_name["guides"].setChecked(read_bool(settings, "guides", False))
    geometry = read_bytes(settings, "geometry")
    if not (geometry is not None and window.restoreGeometry(geometry)):
        window.resize(1100, 720)
    splitter = read_bytes(settings, "splitter")
    if not (splitter is not None and draw.restoreState(splitter)):
        draw.first_split(window.width())


def save_window(window: SettingsHost) -> None:
    """What `restore_window` reads but the window does not save as it changes."""
    window.settings.setValue("pen_width", window.draw.canvas.pen_width())
    window.settings.setValue("geometry", window.saveGeometry())
    window.settings.setValue("splitter", window.draw.saveState())
    window.settings.sync()
