"""Settings read from a hand-edited or damaged INI file: a value of the right type within its
range, or the default, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ocrpad.app.settings import read_int


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("7", 7),
        ("+7", 7),
        (" 7 ", 7),
        ("-2", -2),
        ("+-5", 3),  # two signs
        ("--1", 3),
        ("-+0", 3),
        ("²", 3),  # a digit to str.isdecimal's eye, not to int's
        ("٣", 3),  # Arabic-Indic three
        ("1e3", 3),
        ("7.0", 3),
        ("0x10", 3),
        ("1_0", 3),
        ("", 3),
        ("99999999999999999999", 3),  # out of range
        ("11", 3),
        ("true", 3),
    ],
)
def test_read_int_takes_only_plain_integers_in_range(
    tmp_path: Path, written: str, expected: int
) -> None:
    path = tmp_path / "settings.ini"
    path.write_text(f"[General]\npen_width={written}\n", encoding="utf-8")
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    assert read_int(settings, "pen_width", 3, -5, 10) == expected


def test_read_int_of_a_stored_integer_and_a_missing_key(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("pen_width", 9)
    assert read_int(settings, "pen_width", 3, 1, 10) == 9
    assert read_int(settings, "missing", 3, 1, 10) == 3
    settings.setValue("flag", True)
    assert read_int(settings, "flag", 3, 0, 10) == 3
