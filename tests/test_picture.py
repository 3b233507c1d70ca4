"""Picture files: what is too large is refused from its header; every failure is ImageReadError."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocrpad.picture import ImageReadError, box_reduced, load_image
from ocrpad.preprocess import EmptyDrawingError, bitmap_to_input


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(path: Path, width: int, height: int) -> Path:
    """A small PNG whose header claims width x height grey pixels (all zero, highly compressed)."""
    rows = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    body = b"".join(rows.compress(row) for _ in range(min(height, 64))) + rows.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body)
    path.write_bytes(png + _chunk(b"IEND", b""))
    return path


def test_a_decompression_bomb_is_refused_from_its_header_in_little_memory(tmp_path: Path) -> None:
    """A 100,000 x 100,000 picture (10 G pixels) in a 1.5 GB address space: a clear refusal."""
    path = bomb_png(tmp_path / "bomb.png", 100_000, 100_000)
    code = textwrap.dedent(
        f"""
        import resource
        limit = 1536 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from ocrpad.picture import ImageReadError, load_image
        try:
            load_image({str(path)!r})
        except ImageReadError as exc:
            print("refused:", exc)
        """
    )
    env = {"OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).parent.parent)}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused:" in result.stdout and "too large (over 40 million pixels)" in result.stdout
    assert "DOS attack" not in result.stdout  # the reason in plain words, not the library's


def test_a_picture_over_the_pixel_bound_is_refused_before_decoding(tmp_path: Path) -> None:
    path = bomb_png(tmp_path / "wide.png", 9_000, 9_000)  # 81 M pixels: under Pillow's own limit
    with pytest.raises(ImageReadError, match=r"too large \(9,000 x 9,000 pixels"):
        load_image(path)


def test_running_out_of_memory_while_decoding_becomes_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.png"
    Image.new("L", (40, 40), 255).save(path)

    def no_memory(self: Image.Image) -> None:
        raise MemoryError

    monkeypatch.setattr("PIL.PngImagePlugin.PngImageFile.load", no_memory)
    with pytest.raises(ImageReadError, match="not enough memory"):
        load_image(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"hello, I am text", "not a picture ocrpad can read"),
        (b"", "not a picture ocrpad can read"),
    ],
)
def test_a_file_that_is_no_picture_says_so(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(content)
    with pytest.raises(ImageReadError, match=reason):
        load_image(path)


def test_a_truncated_picture_is_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "t.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200), np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(ImageReadError, match="damaged"):
        load_image(path)


@pytest.mark.parametrize("size", [(1, 1), (50, 30)])
def test_a_tiny_or_single_colour_picture_reads_and_is_called_single_colour(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    path = tmp_path / "plain.png"
    Image.new("RGB", size, (200, 10, 10)).save(path)
    pixels = load_image(path)  # a readable picture, not "not a PNG or JPG"
    assert pixels.shape == (size[1], size[0])
    with pytest.raises(EmptyDrawingError, match="single colour"):
        bitmap_to_input(pixels)


def test_a_photo_with_a_rotation_tag_is_read_upright_as_viewers_show_it(tmp_path: Path) -> None:
    pixels = np.full((100, 200), 255, np.uint8)  # stored 200 wide, 100 tall
    pixels[:, :20] = 0  # ink along the stored left edge
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # Orientation: the camera was turned; show it rotated 90° clockwise
    path = tmp_path / "phone.jpg"
    image.save(path, exif=exif, quality=95)
    grey = load_image(path)
    assert grey.shape == (200, 100)  # upright: as tall as the stored picture is wide
    assert grey[:20].mean() < 60 and grey[40:].mean() > 200  # the ink is now along the top


def test_box_reduction_averages_blocks_and_keeps_the_ragged_edge() -> None:
    picture = np.arange(7 * 5 * 3, dtype=np.uint8).reshape(7, 5, 3)
    reduced = box_reduced(picture, most=3)  # factor 3: blocks of 3 × 3, the last ones smaller
    assert reduced.shape == (3, 2, 3) and reduced.dtype == np.float32
    np.testing.assert_allclose(reduced[0, 0], picture[:3, :3].mean(axis=(0, 1)))
    np.testing.assert_allclose(reduced[2, 1], picture[6:, 3:].mean(axis=(0, 1)))
    assert box_reduced(picture, most=7) is picture  # small enough: untouched


def test_a_huge_picture_reads_as_its_averaged_self_in_little_memory() -> None:
    """A photo's millions of pixels are averaged down a band at a time: a 4096² picture reads
    exactly like the same picture at 1024² and never exists as floats in full."""
    rng = np.random.default_rng(0)
    small = np.full((256, 256), 255, np.uint8)
    yy, xx = np.mgrid[:256, :256]
    ring = np.abs(np.hypot(yy - 128, (xx - 128) * 1.4) - 80) < 6
    small[ring] = rng.integers(0, 40, int(ring.sum()))
    big = np.kron(small, np.ones((16, 16), np.uint8))  # (4096, 4096)
    tracemalloc.start()
    try:
        read = bitmap_to_input(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(read, bitmap_to_input(np.kron(small, np.ones((4, 4), np.uint8))))
    assert peak < 64 * 2**20  # the picture as float64 alone would be 128 MiB


@pytest.mark.parametrize("mode", ["I;16", "I"])
def test_a_16_bit_grey_picture_keeps_its_ink_and_its_shades(tmp_path: Path, mode: str) -> None:
    """Pillow's own conversion to 8 bits clips every value over 255 to white: a 16-bit scan
    came out blank ("no visible ink")."""
    wide = np.full((40, 40), 60000, dtype=np.uint16 if mode == "I;16" else np.int32)
    wide[10:30, 18:22] = 5000
    path = tmp_path / ("scan.png" if mode == "I;16" else "scan.tif")  # PNG has no 32-bit grey
    Image.fromarray(wide).save(path)
    with Image.open(path) as written:
        assert written.mode == mode
    grey = load_image(path)
    assert grey.dtype == np.uint8 and grey[20, 20] < 40 and grey[0, 0] > 200
