"""Picture files → grey pixels, refusing what is too large before decoding anything."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from ocrpad.bounds import MAX_PICTURE_PIXELS, check_picture_size
from ocrpad.files import check_regular_file

__all__ = [
    "PICTURE_SUFFIXES",
    "READ_SIDE",
    "WORKING_SIDE",
    "ImageReadError",
    "PictureFile",
    "backdrop_for",
    "box_reduced",
    "inspect_picture",
    "load_image",
    "load_picture",
]

WORKING_SIDE: Final = 1024
"""A picture is averaged down to at most this many pixels a side before its ink is sought:
the network sees 28, so a photo's millions of pixels only cost time and memory."""


READ_SIDE: Final = 2048
"""`load_picture` averages a picture down to at most this many pixels a side: the window shows
it at most 1600 long, and its ink is sought at WORKING_SIDE."""
BAND_ROWS: Final = 256
"""Rows worked on at a time where a full-size temporary would cost memory."""


class ImageReadError(ValueError):
    """A picture file could not be read; the message names the file and the reason."""


PICTURE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
"""The picture files ocrpad offers to open (Pillow reads more, and any it reads is read)."""


@dataclass(frozen=True)
class PictureFile:
    """What a picture file's header says: its size, and how many frames (an animated GIF, a
    multi-page TIFF: only the first is read)."""

    width: int
    height: int
    frames: int


def inspect_picture(path: str | Path) -> PictureFile:
    """The header of a picture file, read without decoding its pixels; ImageReadError (as
    `load_image` raises it) when it is no picture ocrpad can read, or too large."""
    with _opened(Path(path)) as im:
        return PictureFile(im.width, im.height, int(getattr(im, "n_frames", 1)))


def load_image(path: str | Path) -> NDArray[np.uint8]:
    """Read a picture file → (H, W) uint8 grey, upright, at its full size: `load_picture`
    with no size limit."""
    return load_picture(path, None)


def load_picture(path: str | Path, most: int | None = READ_SIDE) -> NDArray[np.uint8]:
    """Read a picture file → (h, w) uint8 grey, upright, averaged down by the least whole
    factor that brings its longer side to at most `most` pixels (None: its full size).
    Transparency is composited over white (over black when only that shows the ink:
    `backdrop_for`). Of an animated picture or a multi-page one, the first frame.

    Lean with memory: a JPEG is decoded already scaled down (by 2, 4 or 8) and in grey, and
    any picture is turned grey before it is averaged down, its colour copy let go first: a
    6300 × 6300 RGBA PNG takes 0.16 GB decoded and about as much again at its peak.

    The size in the file's header is checked against `ocrpad.bounds` before any pixel is
    decoded. Raises ImageReadError (a ValueError) naming the file and the reason when it cannot
    be read: missing, empty, not a picture (an SVG drawing is named as one), damaged, too
    large, or out of memory.
    """
    path = Path(path)
    with _opened(path) as im:
        factor = 1 if most is None else -(-max(im.size) // most)
        if factor > 1 and im.format == "JPEG":  # the decoder scales by 1/2, 1/4 or 1/8
            im.draft("L", (-(-im.width // factor), -(-im.height // factor)))
        im.load()
        # a camera's rotation tag: read it upright, as viewers (and the canvas) show it
        ImageOps.exif_transpose(im, in_place=True)
        grey = _grey_of(im)  # im itself if grey; else closed: its colour copy let go at once
        factor = 1 if most is None else -(-max(grey.size) // most)
        if factor > 1:
            grey = grey.reduce(factor)  # each factor × factor block's mean
        return np.asarray(grey, dtype=np.uint8).copy()


def _grey_of(im: Image.Image) -> Image.Image:
    """A decoded picture as an "L" image: transparency composited (`_composited`), 16-bit grey
    scaled down to 8 bits. `im` itself when it is grey already; else `im` is closed (its
    pixels let go) as soon as a grey copy exists."""
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        grey_alpha = im.convert("LA")
        im.close()
        pixels = np.asarray(grey_alpha)  # (H, W, 2) uint8, a copy
        del grey_alpha
        return Image.fromarray(_composited(pixels))
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey, scaled down
        wide = np.asarray(im.convert("I"), dtype=np.int64)
        top = 65535 if im.mode.startswith("I;16") else max(int(wide.max()), 255)
        im.close()
        return Image.fromarray((np.clip(wide, 0, top) * 255 // top).astype(np.uint8))
    if im.mode == "L":
        return im
    grey = im.convert("L")
    im.close()
    return grey


@contextmanager
def _opened(path: Path) -> Iterator[Image.Image]:
    """The picture at `path` opened (header read, size checked); every failure, also while
    it is used, becomes an ImageReadError naming the file and the reason."""
    try:
        check_regular_file(path)
    except FileNotFoundError:
        raise ImageReadError(f"{path}: no such file") from None
    except OSError as exc:
        raise ImageReadError(f"{path}: {exc.strerror}") from exc
    try:
        with Image.open(path) as im:
            try:
                check_picture_size(*im.size)
            except ValueError as exc:
                raise ImageReadError(f"{path}: {exc}") from exc
            yield im
    except ImageReadError:
        raise
    except FileNotFoundError as exc:
        raise ImageReadError(f"{path}: no such file") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        most = MAX_PICTURE_PIXELS // 1_000_000  # Pillow refused it at a larger size still
        raise ImageReadError(
            f"{path}: the picture is too large (over {most} million pixels)"
        ) from exc
    except MemoryError as exc:
        raise ImageReadError(f"{path}: not enough memory to open this picture") from exc
    except UnidentifiedImageError as exc:
        raise ImageReadError(f"{path}: {_not_a_picture(path)}") from exc
    except (OSError, ValueError, SyntaxError, struct.error) as exc:
        raise ImageReadError(f"{path}: the picture is damaged or cannot be read ({exc})") from exc


def _not_a_picture(path: Path) -> str:
    """Why a file Pillow does not know is no picture, in the words a person needs."""
    try:
        with path.open("rb") as file:
            head = file.read(1024)
    except OSError:
        head = b"?"
    if not head:
        return "the file is empty (0 bytes): not a picture ocrpad can read"
    if b"<svg" in head.lower():
        return (
            "an SVG drawing, not a picture ocrpad can read: save or export it as a PNG "
            "(ocrpad reads pixels, not shapes)"
        )
    return "not a picture ocrpad can read (PNG, JPG, BMP, GIF, TIFF, WebP)"


def _composited(pixels: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """(H, W, 2) uint8 grey and opacity → (H, W) uint8 grey over the backdrop that shows the
    ink (`backdrop_for`), worked out a band of rows at a time (no full-size temporaries)."""
    step = max(1, int(np.sqrt(pixels.size / 2 / 250_000)))  # ≤ 250,000 pixels decide
    sample = pixels[::step, ::step] / 255.0
    backdrop = round(backdrop_for(sample[..., 0], sample[..., 1]) * 255)
    out = np.empty(pixels.shape[:2], np.uint8)
    for top in range(0, len(pixels), BAND_ROWS):
        band = pixels[top : top + BAND_ROWS].astype(np.uint32)  # (≤ BAND_ROWS, W, 2)
        grey, alpha = band[..., 0], band[..., 1]
        out[top : top + BAND_ROWS] = (grey * alpha + backdrop * (255 - alpha) + 127) // 255
    return out


def backdrop_for(grey: NDArray[np.floating[Any]], opacity: NDArray[np.floating[Any]]) -> float:
    """The backdrop, white (1.0) or black (0.0), to put a transparent picture on: white,
    unless the picture shows more over black, as ink drawn only in the alpha channel in
    white does. grey, opacity: (H, W) in [0, 1]."""
    over_white = grey * opacity + (1.0 - opacity)
    over_black = grey * opacity
    return 0.0 if float(over_black.std()) > float(over_white.std()) + 1e-6 else 1.0


def box_reduced(image: NDArray[Any], most: int = WORKING_SIDE) -> NDArray[Any]:
    """A picture (H, W) or (H, W, C) averaged over f × f blocks (float32; the last row and
    column of blocks may be smaller), f the least whole factor that brings both sides to at
    most `most`; the picture itself when it is that small already. Works a band of f rows at a
    time, so a 40-megapixel picture never exists as floats."""
    a = np.asarray(image)
    factor = -(-max(a.shape[:2], default=0) // most) if a.ndim >= 2 else 1
    if factor <= 1:
        return a
    height, width = a.shape[:2]
    starts = np.arange(0, width, factor)  # (w,) first column of each block
    widths = np.diff(np.append(starts, width)).reshape(-1, *([1] * (a.ndim - 2)))  # (w, 1…)
    out = np.empty((-(-height // factor), len(starts), *a.shape[2:]), np.float32)
    for i, top in enumerate(range(0, height, factor)):
        band = a[top : top + factor].astype(np.float32)  # (≤ f, W, C…)
        out[i] = np.add.reduceat(band.sum(axis=0), starts, axis=0) / (widths * len(band))
    return out
