"""ocrpad-eval on a user's own EMNIST or MNIST copy, IDX or MATLAB files, found from one path.

The copies are written here from the built-in drawings (rendered as the model sees them), so
the answers are known; EMNIST stores its images transposed, MNIST upright.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
import pytest
from idx_helpers import write_idx

from ocrpad.cli import eval as eval_cli
from ocrpad.cli.eval_pictures import picture_data
from ocrpad.data.emnist import BYCLASS
from ocrpad.data.emnist_files import idx_files, load_pictures
from ocrpad.data.unipen import DatasetFileError
from ocrpad.launch.selftest import load_drawings
from ocrpad.model import load_model
from ocrpad.preprocess import render_params_of, render_strokes
from ocrpad.reading import Reader


def built_in_pictures() -> tuple[np.ndarray, list[str]]:
    """The built-in drawings of letters and digits as upright uint8 pictures (N, 28, 28)."""
    params = render_params_of(load_model().meta)
    drawings = [d for d in load_drawings() if d.label in BYCLASS]
    pictures = [(render_strokes(d.strokes, params) * 255).round() for d in drawings]
    return np.stack(pictures).astype(np.uint8), [d.label for d in drawings]


def write_emnist(folder: Path, pictures: np.ndarray, chars: list[str], *, transpose: bool = True):
    """An EMNIST byclass test split (gzipped, images column-major) and its mapping file."""
    folder.mkdir(parents=True, exist_ok=True)
    stored = pictures.transpose(0, 2, 1) if transpose else pictures
    labels = np.array([BYCLASS.index(c) for c in chars], np.uint8)
    images = write_idx(folder / "emnist-byclass-test-images-idx3-ubyte.gz", stored, gz=True)
    write_idx(folder / "emnist-byclass-test-labels-idx1-ubyte.gz", labels, gz=True)
    mapping = "".join(f"{i} {ord(c)}\n" for i, c in enumerate(BYCLASS))
    (folder / "emnist-byclass-mapping.txt").write_text(mapping, encoding="ascii")
    return images


def run_eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = eval_cli.main([*args, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out.strip().splitlines()[-1]) if code == 0 else {}), err


def test_an_emnist_copy_is_read_from_its_folder_or_its_images_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures, chars = built_in_pictures()
    images = write_emnist(tmp_path / "emnist", pictures, chars)
    code, by_folder, _ = run_eval(capsys, "--data", str(tmp_path / "emnist"))
    assert code == 0
    assert by_folder["samples"] == len(chars) >= 20
    assert by_folder["accuracy"] >= 0.9  # the self-test's drawings, which the model reads
    code, by_file, _ = run_eval(capsys, "--data", str(images))
    assert code == 0 and by_file == by_folder


def test_emnist_pictures_are_turned_upright_before_they_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures, chars = built_in_pictures()
    write_emnist(tmp_path / "right", pictures, chars)
    write_emnist(tmp_path / "wrong", pictures, chars, transpose=False)  # stored the MNIST way
    right = run_eval(capsys, "--data", str(tmp_path / "right"))[1]["accuracy"]
    wrong = run_eval(capsys, "--data", str(tmp_path / "wrong"))[1]["accuracy"]
    assert wrong < right - 0.3  # read transposed, most characters become others


def test_an_mnist_copy_is_upright_and_its_labels_are_the_digits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures, chars = built_in_pictures()
    digits = [i for i, c in enumerate(chars) if c.isdigit()]
    write_idx(tmp_path / "t10k-images-idx3-ubyte", pictures[digits])  # unpacked by hand
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([int(chars[i]) for i in digits], "u1"))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", pictures[:1], gz=True)  # not the test split
    files = idx_files(tmp_path)
    assert files.mapping is None and not files.transposed
    code, result, _ = run_eval(capsys, "--data", str(tmp_path), "--charset", "digits")
    assert code == 0 and result["samples"] == len(digits)
    assert result["per_group"]["digits"] == result["accuracy"] >= 0.9


def test_the_text_report_says_the_pictures_were_read_without_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures, chars = built_in_pictures()
    write_emnist(tmp_path, pictures, chars)
    assert eval_cli.main(["--data", str(tmp_path)]) == 0
    assert "pictures: no history" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("remove", "named"),
    [
        ("emnist-byclass-test-labels-idx1-ubyte.gz", "labels file"),
        ("emnist-byclass-mapping.txt", "emnist-byclass-mapping.txt"),
    ],
)
def test_a_missing_companion_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], remove: str, named: str
) -> None:
    pictures, chars = built_in_pictures()
    write_emnist(tmp_path, pictures, chars)
    (tmp_path / remove).unlink()
    code, _, err = run_eval(capsys, "--data", str(tmp_path))
    assert code == 2 and named in err and "ocrpad-eval: error" in err


def test_a_folder_with_several_test_sets_asks_for_one_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures, chars = built_in_pictures()
    write_emnist(tmp_path, pictures, chars)
    write_idx(tmp_path / "emnist-digits-test-images-idx3-ubyte.gz", pictures, gz=True)
    with pytest.raises(DatasetFileError, match="found 2"):
        idx_files(tmp_path)
    code, _, err = run_eval(capsys, "--data", str(tmp_path))
    assert code == 2 and "name the file itself" in err


def test_pictures_refuse_what_needs_strokes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures, chars = built_in_pictures()
    write_emnist(tmp_path, pictures, chars)
    for extra in (["--history", "session"], ["--coarse", "8"]):
        code, _, err = run_eval(capsys, "--data", str(tmp_path), *extra)
        assert code == 2 and "carry no strokes" in err
    strokes = str(tmp_path / "unipen-test.npz")  # refused before any file is read
    code, _, err = run_eval(capsys, "--data", str(tmp_path), "--data", strokes)
    assert code == 2 and "cannot be read together" in err


def test_emnists_matlab_file_is_read_by_name_or_from_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mat = Path(__file__).parent / "data" / "emnist-mini.mat"  # see test_data_matfile.py
    code, by_name, _ = run_eval(capsys, "--data", str(mat))
    assert code == 0 and by_name["samples"] == 14 and by_name["accuracy"] >= 0.9
    (tmp_path / "matlab").mkdir()
    (tmp_path / "matlab" / "emnist-byclass.mat").write_bytes(mat.read_bytes())
    code, by_folder, _ = run_eval(capsys, "--data", str(tmp_path / "matlab"))
    assert code == 0 and by_folder == by_name


def test_an_empty_test_split_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(0, np.uint8))
    code, _, err = run_eval(capsys, "--data", str(tmp_path))
    assert code == 2 and "holds no test images" in err


def test_emnists_letters_split_counts_a_small_or_a_capital_answer_for_its_letter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The letters split's label 1 is "A or a" (mapping line "1 65 97"): the built-in small
    letters, which the model reads right, were all scored wrong as capitals."""
    pictures, chars = built_in_pictures()
    small = [i for i, c in enumerate(chars) if c.islower()]
    folder = tmp_path / "letters"
    folder.mkdir()
    write_idx(
        folder / "emnist-letters-test-images-idx3-ubyte.gz",
        pictures[small].transpose(0, 2, 1),
        gz=True,
    )
    labels = np.array([ord(chars[i]) - ord("a") + 1 for i in small], np.uint8)
    write_idx(folder / "emnist-letters-test-labels-idx1-ubyte.gz", labels, gz=True)
    mapping = "".join(f"{k} {64 + k} {96 + k}\n" for k in range(1, 27))
    (folder / "emnist-letters-mapping.txt").write_text(mapping, encoding="ascii")
    assert idx_files(folder).load().either_case
    code, result, err = run_eval(capsys, "--data", str(folder))
    assert code == 0 and result["samples"] == len(small) >= 5
    assert result["accuracy"] >= 0.9 and "both its cases" in err
    assert set(result["per_class"]) <= set(string.ascii_uppercase)


def test_a_capital_labelled_without_its_small_letter_counts_a_small_answer_as_balanced_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """EMNIST's balanced and bymerge splits label small c, o, s … (15 look-alikes) by their
    capital, their mapping giving no small c: a right small answer was scored wrong. The
    built-in drawings hold none of those 15, so this copy's mapping gives no small letter."""
    pictures, chars = built_in_pictures()
    classes = string.digits + string.ascii_uppercase
    folder = tmp_path / "bymerge"
    folder.mkdir()
    stored = pictures.transpose(0, 2, 1)
    write_idx(folder / "emnist-bymerge-test-images-idx3-ubyte", stored)
    labels = np.array([classes.index(c.upper()) for c in chars], np.uint8)
    write_idx(folder / "emnist-bymerge-test-labels-idx1-ubyte", labels)
    mapping = "".join(f"{i} {ord(c)}\n" for i, c in enumerate(classes))
    (folder / "emnist-bymerge-mapping.txt").write_text(mapping, encoding="ascii")
    code, result, err = run_eval(capsys, "--data", str(folder))
    assert code == 0 and "both its cases" in err
    assert result["accuracy"] >= 0.9 and result["balanced_accuracy"] >= 0.9
    small = {c.upper() for c in chars if c.islower()}
    assert len(small) >= 5 and all(result["per_class"][c] >= 0.5 for c in small)
    assert result["ece"] < 0.2


def test_the_confusion_picture_may_not_be_written_over_a_file_of_the_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures, chars = built_in_pictures()
    folder = tmp_path / "emnist"
    write_emnist(folder, pictures, chars)
    for name in ("emnist-byclass-mapping.txt", "emnist-byclass-test-labels-idx1-ubyte.gz"):
        before = (folder / name).read_bytes()
        assert eval_cli.main(["--data", str(folder), "--confusion", str(folder / name)]) == 2
        assert f"is the file --data reads ({folder / name})" in capsys.readouterr().err
        assert (folder / name).read_bytes() == before


def test_an_emnist_split_renamed_without_its_prefix_is_refused_not_read_as_mnist(
    tmp_path: Path,
) -> None:
    pictures, chars = built_in_pictures()
    write_emnist(tmp_path, pictures, chars)
    for path in tmp_path.iterdir():
        path.rename(path.with_name(path.name.removeprefix("emnist-byclass-")))
    with pytest.raises(DatasetFileError, match="labels above 9, so it is not MNIST's digits"):
        load_pictures(tmp_path / "test-images-idx3-ubyte.gz")


def test_an_emnist_prefix_in_capitals_is_still_emnist(tmp_path: Path) -> None:
    pictures, chars = built_in_pictures()
    write_emnist(tmp_path, pictures, chars)
    for path in tmp_path.iterdir():
        if "images" in path.name or "labels" in path.name:
            path.rename(path.with_name(path.name.replace("emnist-", "EMNIST-")))
    files = idx_files(tmp_path)
    assert files.transposed and files.mapping is not None
    assert files.load().characters() == chars


def test_a_csv_copy_of_emnist_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "emnist-balanced-test.csv"
    csv.write_text("45," + ",".join(["0"] * 784) + "\n", encoding="ascii")
    code, _, err = run_eval(capsys, "--data", str(csv))
    assert code == 2 and "CSV copies are not read: use its IDX or MATLAB files" in err


@pytest.mark.parametrize("charset", [None, "digits"])
def test_pictures_are_read_in_one_pass_as_the_window_reads_each(charset: str | None) -> None:
    model = load_model()
    pictures, chars = built_in_pictures()
    logits = model.logits(pictures[:, None].astype(np.float32) / 255.0)  # (N, C)
    reader = Reader(model, charset=charset)
    batch = reader.read_pictures(logits)
    assert batch.shape == (len(chars), len(reader.labels)) and batch.dtype == np.float32
    for row, z in zip(batch, logits, strict=True):
        np.testing.assert_allclose(row, reader.answer(z, []).probabilities, rtol=1e-6, atol=1e-7)


def test_the_pictures_are_held_as_bytes_until_a_batch_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pictures, chars = built_in_pictures()
    write_emnist(tmp_path / "emnist", pictures, chars)
    args = eval_cli.build_parser().parse_args(["--data", str(tmp_path / "emnist")])
    held = picture_data(args)
    assert held.images.dtype == np.uint8 and held.images.shape == (len(chars), 28, 28)
    small = run_eval(capsys, "--data", str(tmp_path / "emnist"), "--batch-size", "3")[1]
    large = run_eval(capsys, "--data", str(tmp_path / "emnist"))[1]
    assert small["accuracy"] == large["accuracy"]  # batches of any size read the same
