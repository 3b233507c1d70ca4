"""EMNIST's MATLAB form, read without SciPy.

`tests/data/emnist-mini.mat` (zlib-compressed, as MATLAB 7 saves) and `emnist-mini-plain.mat`
(uncompressed) were written by SciPy's `savemat` (format 5) from the built-in drawings of
letters and digits, laid out as EMNIST's files are: a struct `dataset` with `train` (the first
13) and `test` (the other 14), each with `images` (N, 784) uint8, every image column by column,
and `labels` and `writers` (N, 1) doubles, and `mapping` (62, 2) doubles (label, character
code) — so the reader is checked against another program's writer, not its own.
"""

from __future__ import annotations

import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from ocrpad.data import emnist, matfile
from ocrpad.data.emnist import BYCLASS, IdxFormatError, load_emnist_mat
from ocrpad.data.matfile import MatFileError, load_mat
from ocrpad.devtools import emnist_mat
from ocrpad.launch.selftest import load_drawings
from ocrpad.model import load_model
from ocrpad.preprocess import render_params_of, render_strokes

DATA = Path(__file__).parent / "data"
FILES = [DATA / "emnist-mini.mat", DATA / "emnist-mini-plain.mat"]
TEST_CHARS = list("LMNRTYabdehnrt")


def upright_drawings() -> np.ndarray:
    params = render_params_of(load_model().meta)
    drawings = [d for d in load_drawings() if d.label in BYCLASS]
    return np.stack([render_strokes(d.strokes, params) for d in drawings])  # (27, 28, 28)


@pytest.mark.parametrize("path", FILES, ids=["compressed", "plain"])
def test_the_variables_come_back_in_matlabs_shapes(path: Path) -> None:
    dataset = load_mat(path)["dataset"]
    assert set(dataset) == {"train", "test", "mapping"}
    assert dataset["test"]["images"].shape == (14, 784)
    assert dataset["test"]["images"].dtype == np.uint8
    assert dataset["train"]["labels"].shape == (13, 1)
    np.testing.assert_array_equal(dataset["mapping"][:, 0], np.arange(62))
    assert "".join(chr(int(c)) for c in dataset["mapping"][:, 1]) == "".join(BYCLASS)


@pytest.mark.parametrize("path", FILES, ids=["compressed", "plain"])
def test_both_splits_are_read_upright_with_their_characters(path: Path) -> None:
    test, train = load_emnist_mat(path, "test"), load_emnist_mat(path, "train")
    assert test.characters() == TEST_CHARS and len(train) == 13
    drawn = upright_drawings()[13:] * 255
    upright = [
        np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(test.images, drawn, strict=True)
    ]
    turned = [
        np.corrcoef(a.T.ravel(), b.ravel())[0, 1] for a, b in zip(test.images, drawn, strict=True)
    ]
    assert min(upright) > 0.99 and max(turned) < 0.9


def test_what_is_not_matlab_5_is_named(tmp_path: Path) -> None:
    hdf5 = tmp_path / "v73.mat"  # MATLAB 7.3: the same text header, version 0x0200, HDF5 after
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(116) + bytes(8)
    hdf5.write_bytes(text + b"\x00\x02IM" + bytes(384) + b"\x89HDF\r\n\x1a\n" + bytes(200))
    with pytest.raises(MatFileError, match=r"v73\.mat: not a MATLAB 5 or 7 file \(7\.3 is HDF5"):
        load_mat(hdf5)
    text_file = tmp_path / "notes.mat"
    text_file.write_text("not MATLAB at all\n" * 20, encoding="ascii")
    with pytest.raises(MatFileError, match=r"notes\.mat: not a MATLAB file"):
        load_mat(text_file)
    short = tmp_path / "short.mat"
    short.write_bytes(FILES[0].read_bytes()[:300])
    with pytest.raises(MatFileError, match=r"short\.mat: damaged"):
        load_mat(short)


def test_a_matlab_file_that_is_not_emnist_says_so(tmp_path: Path) -> None:
    raw = bytearray(FILES[1].read_bytes())
    at = raw.index(b"dataset")
    raw[at : at + 7] = b"numbers"  # the same file, its variable renamed
    renamed = tmp_path / "other.mat"
    renamed.write_bytes(bytes(raw))
    assert set(load_mat(renamed)) == {"numbers"}
    with pytest.raises(MatFileError, match=r"other\.mat: not an EMNIST file"):
        load_emnist_mat(renamed)


def test_a_compressed_variable_may_not_unpack_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        matfile, "MAX_MAT_BYTES", 16_384
    )  # the file: 12 KB, its dataset unpacked: 23 KB
    with pytest.raises(MatFileError, match="unpack to more than"):
        load_mat(FILES[0])
    bomb = tmp_path / "bomb.mat"  # a small file whose one variable unpacks to 64 MB
    packed = zlib.compress(bytes(64 << 20))
    header = FILES[0].read_bytes()[:128]
    bomb.write_bytes(header + np.array([15, len(packed)], "<u4").tobytes() + packed)
    with pytest.raises(MatFileError, match=r"bomb\.mat"):
        load_mat(bomb)


def test_labels_the_mapping_leaves_without_a_character_are_refused(tmp_path: Path) -> None:
    raw = bytearray(FILES[1].read_bytes())
    dataset = load_mat(FILES[1])["dataset"]
    first = np.float64(dataset["test"]["labels"][0, 0]).tobytes()  # 'L', label 21
    at = raw.index(first, raw.index(b"labels", raw.index(b"test")))
    raw[at : at + 8] = np.float64(99).tobytes()  # a label past the 62-class mapping
    (tmp_path / "bad.mat").write_bytes(bytes(raw))
    with pytest.raises(IdxFormatError, match="labelled 99"):
        load_emnist_mat(tmp_path / "bad.mat")


def test_damaged_bytes_give_a_named_error_or_a_reading_never_a_crash(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for path in FILES:
        clean = path.read_bytes()
        for trial in range(150):
            raw = bytearray(clean)
            for at in rng.integers(128, len(raw), size=int(rng.integers(1, 4))):
                raw[at] = int(rng.integers(0, 256))
            damaged = tmp_path / f"{path.stem}-{trial}.mat"
            damaged.write_bytes(bytes(raw))
            try:
                load_emnist_mat(damaged)
            except ValueError as exc:  # MatFileError or IdxFormatError, naming the file
                assert damaged.name in str(exc)


def test_cells_nested_past_any_sense_are_refused_not_a_crash(tmp_path: Path) -> None:
    """3,000 cells each holding the next: Python's recursion limit, met as a named error."""
    element = b""
    for _ in range(3000):
        flags = np.array([6, 8, 1, 0], "<u4").tobytes()  # miUINT32, 8 bytes: class cell (1)
        dims = np.array([5, 8, 1, 1], "<i4").tobytes()  # miINT32, 8 bytes: 1 × 1
        name = np.array([1 | (0 << 16), 0], "<u4").tobytes()  # an empty name
        body = flags + dims + name + element
        element = np.array([14, len(body)], "<u4").tobytes() + body
    deep = tmp_path / "deep.mat"
    deep.write_bytes(FILES[1].read_bytes()[:128] + element)
    with pytest.raises(MatFileError, match=r"deep\.mat: damaged"):
        load_mat(deep)


def test_text_and_classes_ocrpad_does_not_read_beside_the_dataset_leave_it_readable() -> None:
    """`emnist-mini-extras.mat`: the same dataset, plus a UTF-8 text variable and a sparse
    matrix (SciPy's savemat, compressed)."""
    variables = load_mat(DATA / "emnist-mini-extras.mat")
    assert variables["note"] == "EMNIST, mini (é)" and variables["sparse"] is None
    assert load_emnist_mat(DATA / "emnist-mini-extras.mat").characters() == TEST_CHARS


def matrix(kind: int, dims: tuple[int, ...], *rest: bytes) -> bytes:
    """One miMATRIX element of MATLAB class `kind`, unnamed, with `rest` after its name."""
    flags = np.array([6, 8, kind, 0], "<u4").tobytes()
    shape = np.array([5, 4 * len(dims), *dims], "<i4").tobytes().ljust(8 + 4 * len(dims), b"\0")
    shape = shape.ljust(-(-len(shape) // 8) * 8, b"\0")
    name = np.array([1, 0], "<u4").tobytes()  # an empty name, as a small element
    body = flags + shape + name + b"".join(rest)
    return np.array([14, len(body)], "<u4").tobytes() + body


def test_a_tiny_file_cannot_claim_millions_of_elements_or_unpack_a_flood_of_nothing(
    tmp_path: Path,
) -> None:
    header = FILES[1].read_bytes()[:128]
    field_length = np.array([5 | (4 << 16), 1], "<u4").tobytes()  # miINT32 1: field names
    no_fields = np.array([1, 0], "<u4").tobytes()  # miINT8, no bytes: no field at all
    claims = tmp_path / "claims.mat"  # a struct of ten million elements in 80 bytes
    claims.write_bytes(header + matrix(2, (10_000_000, 1), field_length, no_fields))
    with pytest.raises(MatFileError, match=r"claims\.mat: damaged .*claims 10,000,000"):
        load_mat(claims)
    zeros = zlib.compress(bytes(16 << 20))  # 16 MB of nothing in 16 KB
    flood = tmp_path / "flood.mat"
    flood.write_bytes(header + np.array([15, len(zeros)], "<u4").tobytes() + zeros)
    with pytest.raises(MatFileError, match=r"flood\.mat: damaged \(an element of type 0"):
        load_mat(flood)


def test_a_mapping_with_an_infinite_code_is_refused_by_name(tmp_path: Path) -> None:
    raw = bytearray(FILES[1].read_bytes())
    code = np.float64(ord("0")).tobytes()  # label 0's character code, in the mapping
    at = raw.index(code, raw.index(b"mapping"))
    raw[at : at + 8] = np.float64(np.inf).tobytes()
    (tmp_path / "inf.mat").write_bytes(bytes(raw))
    with pytest.raises(MatFileError, match=r"inf\.mat: dataset\.mapping holds numbers"):
        load_emnist_mat(tmp_path / "inf.mat")


def test_a_balanced_matlab_file_gives_its_15_look_alike_letters_in_either_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """emnist-balanced.mat labels c, o, s … by their capital (its mapping has no small c)."""
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt"
    mapping = np.array([[i, ord(c)] for i, c in enumerate(chars)], dtype=np.float64)
    test = {"images": np.zeros((2, 784), np.uint8), "labels": np.array([[12.0], [24.0]])}
    monkeypatch.setattr(
        emnist, "load_mat", lambda path, skip=(): {"dataset": {"test": test, "mapping": mapping}}
    )
    data = load_emnist_mat("emnist-balanced.mat")
    assert data.characters() == ["C", "O"]
    assert "".join(sorted(data.either_case)) == "CIJKLMOPSUVWXYZ"


@pytest.mark.parametrize("path", FILES, ids=["compressed", "plain"])
def test_a_skipped_field_streams_by_and_comes_back_as_none(path: Path) -> None:
    dataset = load_mat(path, skip={"dataset.train"})["dataset"]
    assert dataset["train"] is None
    whole = load_mat(path)["dataset"]
    np.testing.assert_array_equal(dataset["test"]["images"], whole["test"]["images"])
    np.testing.assert_array_equal(dataset["mapping"], whole["mapping"])


def test_the_test_split_is_read_without_the_training_split_in_memory(tmp_path: Path) -> None:
    """EMNIST's training split is five times its test split: only the test split is kept
    while the file streams by (the whole file and its unpacked copy took four times more)."""
    path = tmp_path / "emnist-big.mat"
    emnist_mat.write(path, train=20_000, test=100)  # the training images: 15.7 MB
    tracemalloc.start()
    try:
        test = load_emnist_mat(path, "test")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert test.images.shape == (100, 28, 28)
    assert peak < 10 << 20  # 1 MB chunks in flight and the test split; it took 62 MB
    assert len(load_emnist_mat(path, "train")) == 20_000
