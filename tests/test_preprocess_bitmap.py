"""Imported pictures: any size, dark or light ink, and unreadable files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocrpad.preprocess import (
    EmptyDrawingError,
    ImageReadError,
    bitmap_to_input,
    load_image,
    render_strokes,
)


def _seven() -> np.ndarray:
    return render_strokes([np.array([[0.0, 0.0], [6.0, 0.0], [2.0, 10.0]])])


def _big(image: np.ndarray, size: int, *, dark_ink: bool) -> np.ndarray:
    """Paste a 28×28 rendering, scaled up, off-centre on a larger uint8 page."""
    page = np.zeros((size, size + 40), dtype=np.uint8)
    scaled = Image.fromarray((image * 255).astype(np.uint8)).resize((size // 2, size // 2))
    page[10 : 10 + size // 2, 30 : 30 + size // 2] = np.asarray(scaled)
    return 255 - page if dark_ink else page


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.mark.parametrize("dark_ink", [True, False])
@pytest.mark.parametrize("size", [60, 400])
def test_a_picture_of_a_rendering_comes_back_close_to_it(dark_ink: bool, size: int) -> None:
    reference = _seven()
    out = bitmap_to_input(_big(reference, size, dark_ink=dark_ink))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.max() == pytest.approx(1.0)
    assert _correlation(out, reference) > 0.85


def test_colour_and_float_pictures_are_accepted() -> None:
    grey = _big(_seven(), 100, dark_ink=True)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    a = bitmap_to_input(rgb)
    b = bitmap_to_input(grey.astype(np.float64) / 255.0)
    np.testing.assert_allclose(a, b, atol=0.02)


def test_a_blank_picture_is_an_empty_drawing() -> None:
    with pytest.raises(EmptyDrawingError):
        bitmap_to_input(np.full((50, 50), 200, dtype=np.uint8))


def test_load_image_reads_a_png_as_grey_uint8(tmp_path: Path) -> None:
    path = tmp_path / "seven.png"
    Image.fromarray(_big(_seven(), 80, dark_ink=True)).convert("RGB").save(path)
    grey = load_image(path)
    assert grey.dtype == np.uint8 and grey.ndim == 2
    assert _correlation(bitmap_to_input(grey), _seven()) > 0.85


def test_load_image_composites_transparency_over_white(tmp_path: Path) -> None:
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)
    rgba[5:15, 9:11, 3] = 255  # opaque black bar on a transparent page
    path = tmp_path / "bar.png"
    Image.fromarray(rgba, "RGBA").save(path)
    grey = load_image(path)
    assert grey[0, 0] == 255 and grey[10, 10] == 0


def test_load_image_names_the_file_when_it_cannot_be_read(tmp_path: Path) -> None:
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    with pytest.raises(ImageReadError, match=r"junk\.png"):
        load_image(junk)
    with pytest.raises(ImageReadError, match="no such file"):
        load_image(tmp_path / "missing.png")


def test_a_transparent_array_reads_as_the_same_picture_saved_as_a_png(tmp_path: Path) -> None:
    """Alpha was cut at one half, and transparent border pixels left out of the background:
    ink touching the edge became the background, and the picture was refused as blank."""
    rgba = np.zeros((28, 28, 4), dtype=np.uint8)  # black, opaque where the 7's ink is
    rgba[..., 3] = np.round(_seven() * 255).astype(np.uint8)  # anti-aliased edges half opaque
    rgba[:3, :, 3] = np.maximum(rgba[:3, :, 3], 200)  # ink along the whole top edge
    path = tmp_path / "seven.png"
    Image.fromarray(rgba, "RGBA").save(path)
    from_array, from_file = bitmap_to_input(rgba), bitmap_to_input(load_image(path))
    np.testing.assert_allclose(from_array, from_file, atol=2 / 255)


def test_grey_with_a_channel_axis_is_a_picture_and_text_or_complex_pixels_are_not() -> None:
    grey = (255 * (1.0 - _seven())).astype(np.uint8)
    np.testing.assert_array_equal(bitmap_to_input(grey[..., None]), bitmap_to_input(grey))
    for bad in (grey.astype(str), grey.astype(np.complex128)):
        with pytest.raises(ValueError, match="pixels must be real numbers"):
            bitmap_to_input(bad)
    with pytest.raises(EmptyDrawingError, match="no pixels"):
        bitmap_to_input(np.zeros((0, 0), np.uint8))
