"""``ocrpad --read PICTURE``: one picture recognised without the window, or a clear message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from picture_helpers import picture_of

from ocrpad import resources
from ocrpad.launch import read_picture
from ocrpad.model import load_model

needs_shipped_model = pytest.mark.skipif(
    not resources.default_weights_path().is_file(), reason="the shipped model is absent"
)


@needs_shipped_model
@pytest.mark.parametrize("label", ["4", "H", "b"])
def test_a_picture_of_a_character_is_read_as_that_character(label: str, tmp_path: Path) -> None:
    guesses = read_picture.read(picture_of(label, tmp_path / "pic.png"), load_model())
    assert guesses[0][0] == label
    assert len(guesses) == 3
    assert [p for _, p in guesses] == sorted((p for _, p in guesses), reverse=True)


@needs_shipped_model
def test_a_square_is_answered_among_letters_and_digits_not_symbols(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    square = Image.new("L", (64, 64), 255)
    ImageDraw.Draw(square).rectangle((20, 20, 44, 44), fill=0)  # a filled blob: "." if allowed
    square.save(tmp_path / "square.png")
    guesses = read_picture.read(tmp_path / "square.png", load_model())
    assert all(label.isalnum() for label, _ in guesses), guesses  # symbols only when asked


@needs_shipped_model
def test_the_answer_is_printed_with_its_odds_and_the_next_guesses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = read_picture.run(picture_of("4", tmp_path / "pic.png"))
    out = capsys.readouterr().out
    assert status == 0
    label, odds, rest = out.split(" ", 2)
    assert label == "4" and odds.endswith("%") and rest.startswith("(next: ")


def test_a_missing_picture_is_named_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.png"
    assert read_picture.run(missing) == 1
    assert f"cannot read {missing}" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"hello", b""], ids=["text", "empty"])
def test_a_file_that_is_not_a_picture_is_named_once(
    content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "cannot read X: X: not a picture ocrpad can read"."""
    fake = tmp_path / "notapic.png"
    fake.write_bytes(content)
    assert read_picture.run(fake) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ocrpad: cannot read {fake}: ") and err.count(str(fake)) == 1


def test_a_blank_picture_fails_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    assert read_picture.run(blank) == 1
    err = capsys.readouterr().err
    assert "no visible ink" in err and err.count(str(blank)) == 1


def test_a_missing_model_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = tmp_path / "absent.npz"
    assert read_picture.run(picture_of("4", tmp_path / "pic.png"), weights) == 1
    err = capsys.readouterr().err
    assert f"cannot load the model {weights}" in err and "no such file" in err


@needs_shipped_model
def test_the_command_line_reads_a_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ocrpad.__main__ import main

    assert main(["--read", str(picture_of("H", tmp_path / "h.png"))]) == 0
    assert capsys.readouterr().out.startswith("H ")


def test_an_animated_picture_is_read_from_its_first_frame_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    first = Image.open(picture_of("4", tmp_path / "four.png")).convert("L")
    others = [Image.new("L", first.size, level) for level in (255, 0, 128)]  # all different
    animated = tmp_path / "four.gif"
    first.save(animated, save_all=True, append_images=others)
    assert read_picture.run(animated) == 0
    out, err = capsys.readouterr()
    assert out.startswith("4 ")
    assert f"read the first of 4 frames of {animated}" in err


def test_an_svg_drawing_is_named_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    drawing = tmp_path / "four.svg"
    drawing.write_text('<?xml version="1.0"?>\n<svg width="9" height="9"></svg>\n', "utf-8")
    assert read_picture.run(drawing) == 1
    err = capsys.readouterr().err
    assert "an SVG drawing" in err and "PNG" in err


@needs_shipped_model
def test_the_window_and_the_command_line_read_a_large_picture_alike(tmp_path: Path) -> None:
    """One road from a picture file to the input: the window's worker scaled a picture over
    2048 pixels down one way and ``ocrpad --read`` another."""
    from PIL import Image, ImageDraw

    from ocrpad.app.draw.worker import Request, recognise, to_input
    from ocrpad.preprocess import picture_input, render_params_of

    path = tmp_path / "wide.png"
    picture = Image.new("L", (5000, 3000), 235)
    ImageDraw.Draw(picture).line([(1800, 2600), (2500, 400), (3200, 2600)], 30, 9)
    picture.save(path)
    model = load_model()
    request = Request(1, image_path=str(path))
    window_input = to_input(request, model)
    np.testing.assert_array_equal(
        window_input, picture_input(path, render_params_of(model.meta))[0]
    )
    window_top = recognise(model, request).top
    command_top = read_picture.read(path, model)
    assert [label for label, _ in window_top] == [label for label, _ in command_top]
    np.testing.assert_allclose([p for _, p in window_top], [p for _, p in command_top], atol=1e-6)
