"""The pointer-moves command's strokes, and its refusal without an X display or xdotool."""

from __future__ import annotations

import math

import pytest

from ocrpad.devtools import pointer_moves


def test_a_stroke_presses_moves_along_the_arc_at_the_rate_and_releases() -> None:
    args = pointer_moves.stroke_command((300, 200), moves=60, rate=500.0, radius=100)
    assert args[:5] == ["mousemove", "400", "200", "mousedown", "1"]
    assert args[-2:] == ["mouseup", "1"]
    steps = args[5:-2]
    assert len(steps) == 60 * 5
    assert steps[0::5] == ["sleep"] * 60 and set(steps[1::5]) == {"0.0020"}
    points = [(int(x), int(y)) for x, y in zip(steps[3::5], steps[4::5], strict=True)]
    assert all(abs(math.hypot(x - 300, y - 200) - 100) <= 1 for x, y in points)
    assert len(set(points)) == 60  # every move lands on a pixel of its own


def test_without_a_display_it_says_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    assert pointer_moves.main([]) == 2
    assert "xdotool" in capsys.readouterr().err
