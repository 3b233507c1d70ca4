"""A very large picture is read in little memory: turned grey before it is averaged down, its
colour copy let go at once, and a JPEG decoded already scaled down. Measured in a fresh
process, whose peak resident size is the figure that counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

PEAK_OF_READING = """
import sys
from pathlib import Path
from ocrpad.picture import load_picture
grey = load_picture(sys.argv[1])
status = Path("/proc/self/status").read_text().splitlines()
peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(grey.shape[0], grey.shape[1], peak // 1024)
"""
"""VmHWM: this process's own peak (ru_maxrss would carry over the test process's, across the
exec)."""


def _peak_reading(path: Path) -> tuple[tuple[int, int], int]:
    """(the shape read, the reading process's peak resident size in MiB)."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK_OF_READING, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    height, width, peak = (int(word) for word in done.stdout.split())
    return (height, width), peak


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_a_6300_pixel_rgba_picture_is_read_in_under_400_mib(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    picture = Image.new("RGBA", (6300, 6300), (255, 255, 255, 0))
    ImageDraw.Draw(picture).line([(1500, 5500), (3150, 800), (4800, 5500)], (0, 0, 0, 255), 300)
    picture.save(path)
    del picture
    shape, peak = _peak_reading(path)
    assert shape == (1575, 1575)  # averaged down by 4, to at most 2048 a side
    assert peak < 400  # decoded RGBA alone is 151 MiB; it took 830 MiB and more


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_a_large_jpeg_is_decoded_already_scaled_down(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    picture = Image.new("RGB", (6000, 4000), (230, 230, 230))
    ImageDraw.Draw(picture).line([(2000, 3500), (3000, 500), (4000, 3500)], (20, 20, 20), 200)
    picture.save(path, quality=90)
    del picture
    shape, peak = _peak_reading(path)
    assert shape == (1000, 1500)
    assert peak < 150  # decoded whole in colour it is 69 MiB, and took 250 MiB more
