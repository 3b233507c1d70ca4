"""Settings read from a hand-edited or damaged INI file: a value of the right type within its
range, or the default, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ocrpad.app.settings import read_int, set_aside_unsafe, unsafe_values


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


@pytest.mark.parametrize(
    ("text", "unsafe"),
    [
        ("geometry=@Variant(\\0\\0\\0\\t\\x7f\\xff\\xff\\xff)", True),
        ('theme="@DateTime(\\0)"', True),
        ("character_set=a, @Variant(\\0)", True),  # a list's item
        ("geometry=@ByteArray(\\x1\\xd9)", False),  # what ocrpad writes
        ("geometry=@Rect(1 2 3 4)", False),
        ("character_set=@@Variant(", False),  # a text beginning with @, escaped
        ("character_set=x@Variant(", False),
    ],
)
def test_values_qt_would_decode_as_binary_stream_data_are_found(text: str, unsafe: bool) -> None:
    assert unsafe_values(f"[General]\n{text}\n") is unsafe


def test_a_settings_file_with_such_a_value_is_moved_aside_unread_and_a_fresh_one_used(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ocrpad.ini"
    bad = "[General]\npen_width=9\ngeometry=@Variant(\\0\\0\\0\\t\\x7f\\xff\\xff\\xff)\n"
    path.write_text(bad, encoding="utf-8")
    settings, message = set_aside_unsafe(QSettings(str(path), QSettings.Format.IniFormat))
    aside = list(tmp_path.glob("ocrpad.ini.bad-*"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == bad
    assert str(aside[0]) in message and "default settings" in message
    assert settings.allKeys() == []  # the fresh file: nothing of the old one read
    settings.setValue("pen_width", 12)
    settings.sync()
    assert "@Variant" not in path.read_text(encoding="utf-8")


def test_a_sound_settings_file_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "ocrpad.ini"
    path.write_text("[General]\npen_width=9\ngeometry=@ByteArray(\\x1)\n", encoding="utf-8")
    given = QSettings(str(path), QSettings.Format.IniFormat)
    assert set_aside_unsafe(given) == (given, "")
    assert read_int(given, "pen_width", 3, 1, 40) == 9
