"""Pictures' ink told from their paper: thick strokes that fill the frame, light ink on dark
paper, uneven light, and ink drawn only in the alpha channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from ocrpad import picture_ink
from ocrpad.launch import selftest
from ocrpad.picture_ink import pen_fitted, pen_width, thickened, thinned, width_of
from ocrpad.preprocess import bitmap_to_input, load_image, render_strokes


def _strokes(label: str) -> list[NDArray[np.float32]]:
    return next(d for d in selftest.load_drawings() if d.label == label).strokes


def _ink_mask(label: str, size: tuple[int, int], pen: float, fill: float) -> NDArray[np.float64]:
    """(H, W) 1 = ink: the built-in drawing of `label` drawn with a pen `pen` of its size,
    filling `fill` of the frame's shorter side."""
    strokes = _strokes(label)
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = fill * min(size) / float(max(high - low))
    width = max(1, round(pen * float(max(high - low)) * scale))
    mask = Image.new("L", size, 0)
    pencil = ImageDraw.Draw(mask)
    for stroke in strokes:
        xy = (stroke - (low + high) / 2) * scale + (size[0] / 2, size[1] / 2)
        pencil.line([(float(x), float(y)) for x, y in xy], fill=255, width=width, joint="curve")
        for x, y in (xy[0], xy[-1]):
            r = width / 2
            pencil.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(mask, dtype=np.float64) / 255.0


def _likeness(picture: NDArray[np.generic], label: str) -> float:
    read = bitmap_to_input(picture)
    return float(np.corrcoef(read.ravel(), render_strokes(_strokes(label)).ravel())[0, 1])


def _on_paper(ink: NDArray[np.float64], paper: float, pen: float) -> NDArray[np.uint8]:
    return np.round((paper + (pen - paper) * ink) * 255).astype(np.uint8)


@pytest.mark.parametrize("dark_ink", [True, False])
@pytest.mark.parametrize("label", ["8", "A", "4"])
def test_thick_strokes_that_fill_the_frame_are_read_as_ink_not_paper(
    label: str, dark_ink: bool
) -> None:
    ink = _ink_mask(label, (300, 300), pen=0.18, fill=0.99)
    assert 0.3 <= (ink > 0.5).mean() <= 0.55  # a third to half of the frame is ink
    paper, pen = (0.9, 0.1) if dark_ink else (0.1, 0.9)
    assert _likeness(_on_paper(ink, paper, pen), label) > 0.6


@pytest.mark.parametrize("dark_ink", [True, False])
@pytest.mark.parametrize(("label", "pen", "fill"), [("7", 0.06, 0.5), ("8", 0.18, 0.99)])
def test_a_shadow_and_a_gradient_across_the_paper_are_not_ink(
    dark_ink: bool, label: str, pen: float, fill: float
) -> None:
    ink = _ink_mask(label, (640, 480), pen=pen, fill=fill)
    paper, ink_level = (0.85, 0.15) if dark_ink else (0.2, 0.9)
    ys, xs = np.mgrid[0:480, 0:640]
    light = 1.0 - 0.35 * xs / 640 - 0.25 * np.exp(-(((ys - 120) / 90.0) ** 2))  # (480, 640)
    picture = np.round(np.clip((paper + (ink_level - paper) * ink) * light, 0, 1) * 255)
    assert _likeness(picture.astype(np.uint8), label) > 0.75
    even = _on_paper(ink, paper, ink_level)
    assert abs(_likeness(picture.astype(np.uint8), label) - _likeness(even, label)) < 0.1


@pytest.mark.parametrize("colour", [0, 255])
def test_ink_only_in_the_alpha_channel_reads_whatever_its_colour(
    colour: int, tmp_path: Path
) -> None:
    ink = _ink_mask("3", (200, 160), pen=0.08, fill=0.7)
    rgba = np.zeros((160, 200, 4), np.uint8)
    rgba[..., :3] = colour  # every pixel the same colour: the ink is only in the opacity
    rgba[..., 3] = np.round(ink * 255).astype(np.uint8)
    assert _likeness(rgba, "3") > 0.8
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(path)
    assert _likeness(load_image(path), "3") > 0.8


def test_a_picture_of_one_colour_with_an_opaque_alpha_channel_still_has_no_ink() -> None:
    rgba = np.full((50, 50, 4), 255, np.uint8)
    with pytest.raises(ValueError, match="no visible ink"):
        bitmap_to_input(rgba)


@pytest.mark.parametrize("pen", [0.005, 0.02])
def test_a_thin_pen_is_read_as_the_pen_the_network_learned_from(pen: float) -> None:
    """A 1 to 6 pixel line across a 1200 × 900 picture faded to a hair in 28 pixels
    (likeness 0.81); it is widened to the rendering's pen first."""
    ink = _ink_mask("7", (1200, 900), pen=pen, fill=0.6)
    assert _likeness(_on_paper(ink, 0.9, 0.1), "7") > 0.87


def test_the_pen_width_is_measured_from_the_ink() -> None:
    stroke = np.zeros((200, 300))
    stroke[90:97, 20:280] = 1.0  # a bar 7 pixels wide
    assert pen_width(stroke) == pytest.approx(7, rel=0.1)
    widened = thickened(stroke, 7.0, 40.0)
    assert pen_width(widened) * 300 / widened.shape[1] == pytest.approx(40, rel=0.3)


@pytest.mark.parametrize("label", ["7", "4"])
def test_a_thick_pen_is_thinned_towards_the_pen_the_network_learned_from(
    label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A marker twice the rendering's pen, the character cropped tight (the picture's edge
    cuts its strokes), read like its strokes' rendering: likeness 0.82-0.84 unthinned."""
    picture = _on_paper(_ink_mask(label, (600, 450), pen=0.24, fill=0.97), 0.9, 0.1)
    thinner = _likeness(picture, label)
    monkeypatch.setattr(picture_ink, "THICK", float("inf"))  # never thinned
    assert thinner > _likeness(picture, label) + 0.05
    assert thinner > 0.9


def test_a_picture_drawn_with_about_the_learned_pen_is_neither_thinned_nor_widened() -> None:
    ink = _ink_mask("7", (600, 450), pen=0.1, fill=0.6)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    assert np.array_equal(pen_fitted(ink, 2.4 / 23.2), crop)


def test_thinning_keeps_thin_strokes_and_dots_and_what_the_edge_cut() -> None:
    ink = np.zeros((200, 300))
    ink[80:120, 0:200] = 1.0  # a bar 40 pixels wide, cut by the picture's left edge
    ink[20:26, 20:180] = 1.0  # a thin line
    ink[160:170, 250:260] = 1.0  # a dot
    assert width_of(ink) == pytest.approx(40, rel=0.1)
    thin = thinned(ink, 40.0, 12.0, cut=(False, False, True, False)) > 0.5  # (100, 150)
    assert pen_width(thin[30:70, 5:90]) * 2 == pytest.approx(12, rel=0.3)
    assert thin[40:60, 0].any()  # the bar still reaches the edge that cut it
    assert thin[10:13, 15:85].mean() > 0.5 and thin[80:85, 125:130].all()  # line, dot kept
