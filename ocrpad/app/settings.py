"""Reading the user's settings without trusting them.

``QSettings`` hands back whatever the INI file holds: text where a number belongs, a number
with twenty digits, a list, superscript digits that ``str.isdigit`` accepts but ``int`` does
not. Each reader here returns a value of the right type within its range, or the default, so
that a damaged or hand-edited settings file never stops ocrpad from starting.
"""

from __future__ import annotations

import re
from typing import Final

from PySide6.QtCore import QByteArray, QSettings

MAX_TEXT: Final = 1000  # characters in a text setting
MAX_BYTES: Final = 64 * 1024  # saved window geometry and splitter states are ~100 bytes
_INTEGER: Final = re.compile(r"[+-]?[0-9]{1,12}")  # ASCII digits only, one sign at most


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
