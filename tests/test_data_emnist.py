"""IDX readers on small files the tests write themselves (plain and gzipped)."""

from __future__ import annotations

import gzip
import string
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from idx_helpers import write_idx

from ocrpad.data import emnist
from ocrpad.data.emnist import IdxFormatError, load_emnist, read_idx, read_mapping


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trips_uint8_and_int32(tmp_path: Path, gz: bool) -> None:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    ints = np.array([1, -2, 70000], dtype=np.int32)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "a", images, gz=gz)), images)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "b", ints, gz=gz)), ints)


def test_emnist_images_are_turned_upright(tmp_path: Path) -> None:
    upright = np.zeros((2, 28, 28), np.uint8)
    upright[:, 2:26, 13] = 255  # a vertical bar
    stored = upright.transpose(0, 2, 1)  # EMNIST stores images transposed
    images = write_idx(tmp_path / "emnist-byclass-train-images-idx3-ubyte.gz", stored, gz=True)
    labels = write_idx(tmp_path / "labels-idx1-ubyte", np.array([10, 61], np.uint8))
    data = load_emnist(images, labels, mapping=emnist.BYCLASS)
    np.testing.assert_array_equal(data.images, upright)
    assert data.characters() == ["A", "z"]
    assert data.inputs().shape == (2, 1, 28, 28) and data.inputs().max() == 1.0


def test_mnist_is_read_as_is_with_digit_labels(tmp_path: Path) -> None:
    stored = np.random.default_rng(0).integers(0, 255, (3, 28, 28), dtype=np.uint8)
    images = write_idx(tmp_path / "t10k-images-idx3-ubyte", stored)
    labels = write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([0, 9, 4], np.uint8))
    data = load_emnist(images, labels, transposed=False)
    np.testing.assert_array_equal(data.images, stored)
    assert data.characters() == ["0", "9", "4"]


@pytest.mark.parametrize("top", [10, 26, 46, 61])
def test_labels_above_9_without_a_mapping_are_refused_not_guessed(tmp_path: Path, top: int) -> None:
    """EMNIST's letters split numbers A … Z from 1, balanced puts 47 classes in its own order:
    byclass's order, guessed for them, gave letters as '1' … 'Q' and 146 of 600 balanced
    characters wrong."""
    images = write_idx(
        tmp_path / "emnist-letters-test-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8)
    )
    labels = write_idx(
        tmp_path / "emnist-letters-test-labels-idx1-ubyte", np.array([1, top], np.uint8)
    )
    with pytest.raises(emnist.MappingNeededError, match=r"labels-idx1-ubyte: .*above 9.*mapping"):
        load_emnist(images, labels)
    assert load_emnist(images, labels, mapping=emnist.BYCLASS).characters()[0] == "1"


def test_mapping_files_give_characters_by_label(tmp_path: Path) -> None:
    path = tmp_path / "emnist-letters-mapping.txt"
    path.write_text("1 65 97\n2 66 98\n")
    assert read_mapping(path) == ["", "A", "B"]


BALANCED = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt"  # EMNIST balanced and bymerge


@pytest.mark.parametrize(
    ("mapping", "merged"),
    [
        ("".join(emnist.BYCLASS), ""),  # one character a label
        (BALANCED, "CIJKLMOPSUVWXYZ"),  # the 15 look-alikes under their capital
        (string.ascii_uppercase, string.ascii_uppercase),  # the letters split's capitals
        ("0123456789", ""),  # MNIST
    ],
)
def test_a_capital_the_mapping_gives_without_its_small_letter_stands_for_either_case(
    tmp_path: Path, mapping: str, merged: str
) -> None:
    images = write_idx(tmp_path / "i", np.zeros((1, 28, 28), np.uint8))
    labels = write_idx(tmp_path / "l", np.array([0], np.uint8))
    path = tmp_path / "emnist-x-mapping.txt"
    path.write_text("".join(f"{i} {ord(c)}\n" for i, c in enumerate(mapping)), encoding="ascii")
    assert load_emnist(images, labels, mapping=path).either_case == frozenset(merged)
    assert load_emnist(images, labels, mapping=list(mapping)).either_case == frozenset(merged)


def test_the_letters_splits_mapping_file_gives_every_letter_in_either_case(
    tmp_path: Path,
) -> None:
    images = write_idx(tmp_path / "i", np.zeros((1, 28, 28), np.uint8))
    labels = write_idx(tmp_path / "l", np.array([1], np.uint8))
    path = tmp_path / "emnist-letters-mapping.txt"
    path.write_text("".join(f"{k} {64 + k} {96 + k}\n" for k in range(1, 27)), encoding="ascii")
    data = load_emnist(images, labels, mapping=path)
    assert (
        data.characters() == ["A"] and "".join(sorted(data.either_case)) == string.ascii_uppercase
    )


def test_broken_idx_files_raise_with_the_file_name(tmp_path: Path) -> None:
    junk = tmp_path / "junk-idx3-ubyte"
    junk.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(IdxFormatError, match=r"junk-idx3-ubyte.*magic"):
        read_idx(junk)
    short = tmp_path / "short-idx1-ubyte"
    short.write_bytes(write_idx(tmp_path / "x", np.zeros(10, np.uint8)).read_bytes()[:-3])
    with pytest.raises(IdxFormatError, match="truncated"):
        read_idx(short)
    images = write_idx(tmp_path / "i", np.zeros((2, 28, 28), np.uint8))
    labels = write_idx(tmp_path / "l", np.zeros(3, np.uint8))
    with pytest.raises(IdxFormatError, match=r"\(3,\) labels"):
        load_emnist(images, labels)


def test_a_damaged_gzip_stream_raises_with_the_file_name(tmp_path: Path) -> None:
    noisy = np.random.default_rng(0).integers(0, 8, (3, 28, 28), dtype=np.uint8)
    packed = bytearray(write_idx(tmp_path / "a", noisy, gz=True).read_bytes())
    packed[20:36] = b"\xff" * 16  # inside the deflate stream, after gzip's own header
    damaged = tmp_path / "damaged-idx3-ubyte.gz"
    damaged.write_bytes(bytes(packed))
    with pytest.raises(IdxFormatError, match=r"damaged-idx3-ubyte\.gz: cannot read"):
        read_idx(damaged)


def test_dimensions_whose_product_overflows_are_called_truncated(tmp_path: Path) -> None:
    huge = tmp_path / "huge-idx3-ubyte"
    huge.write_bytes(struct.pack(">BBBB4I", 0, 0, 0x08, 4, *[65536] * 4))  # 2**64 items
    with pytest.raises(IdxFormatError, match=r"huge-idx3-ubyte: truncated"):
        read_idx(huge)


@pytest.mark.parametrize("bad", [np.inf, np.nan, 1.5])
def test_labels_that_are_not_whole_numbers_are_refused(tmp_path: Path, bad: float) -> None:
    images = write_idx(tmp_path / "i", np.zeros((3, 28, 28), np.uint8))
    labels = write_idx(tmp_path / "float-labels", np.array([1, bad, 2], np.float32))
    with pytest.raises(IdxFormatError, match=r"float-labels: labels must be whole numbers"):
        load_emnist(images, labels)


def test_a_mapping_naming_an_absurd_label_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "emnist-mapping.txt"
    path.write_text("2000000000 65\n")  # would be a list of two billion characters
    with pytest.raises(
        IdxFormatError,
        match=r"emnist-mapping\.txt: not an EMNIST mapping file \(label 2000000000 is outside",
    ):
        read_mapping(path)


def test_a_header_promising_more_than_the_limit_is_refused_before_unpacking(
    tmp_path: Path,
) -> None:
    header = struct.pack(">BBBB3I", 0, 0, 0x08, 3, 2_700_000, 28, 28)  # 2.1 GB of images
    bomb = tmp_path / "bomb-idx3-ubyte.gz"
    bomb.write_bytes(gzip.compress(header + bytes(4096)))
    with pytest.raises(IdxFormatError, match=r"bomb-idx3-ubyte\.gz: the header promises "):
        read_idx(bomb)
    assert emnist.MAX_IDX_BYTES < 2_700_000 * 28 * 28


def test_only_the_data_the_header_promises_is_unpacked(tmp_path: Path) -> None:
    """A small gzip file that unpacks to 64 MB after the 10 labels its header promises: the
    extra is refused after at most one chunk is unpacked, not unpacked whole."""
    header = struct.pack(">BBBBI", 0, 0, 0x08, 1, 10)
    packed = tmp_path / "padded-idx1-ubyte.gz"
    packed.write_bytes(gzip.compress(header + bytes(10) + bytes(64 << 20), compresslevel=1))
    tracemalloc.start()
    try:
        with pytest.raises(IdxFormatError, match=r"padded-idx1-ubyte\.gz: holds more data"):
            read_idx(packed)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_a_gzip_file_whose_checksum_is_wrong_is_refused(tmp_path: Path) -> None:
    packed = bytearray(
        write_idx(tmp_path / "a", np.arange(50, dtype=np.uint8), gz=True).read_bytes()
    )
    packed[-8] ^= 0xFF  # the CRC-32 in gzip's trailer
    damaged = tmp_path / "crc-idx1-ubyte.gz"
    damaged.write_bytes(bytes(packed))
    with pytest.raises(IdxFormatError, match=r"crc-idx1-ubyte\.gz: cannot read"):
        read_idx(damaged)


@pytest.mark.parametrize("ndim", [0, 9, 255])
def test_a_header_declaring_an_absurd_number_of_dimensions_names_the_file(
    tmp_path: Path, ndim: int
) -> None:
    odd = tmp_path / "odd-idx3-ubyte"
    odd.write_bytes(bytes([0, 0, 0x08, ndim]) + struct.pack(f">{ndim}I", *[1] * ndim) + b"\x07")
    with pytest.raises(IdxFormatError, match=rf"odd-idx3-ubyte: the header declares {ndim} dim"):
        read_idx(odd)


@pytest.mark.parametrize("shape", [(5, 3, 3), (1, 0, 0), (2, 28, 27)])
def test_images_that_are_not_28_by_28_are_refused_by_name(
    tmp_path: Path, shape: tuple[int, int, int]
) -> None:
    images = write_idx(tmp_path / "small-idx3-ubyte", np.zeros(shape, np.uint8))
    labels = write_idx(tmp_path / "l", np.zeros(shape[0], np.uint8))
    size = f"{shape[1]}×{shape[2]}"
    with pytest.raises(IdxFormatError, match=rf"small-idx3-ubyte: the images are {size} pixels"):
        load_emnist(images, labels)


def test_a_label_the_mapping_leaves_unused_is_refused(tmp_path: Path) -> None:
    images = write_idx(tmp_path / "i", np.zeros((3, 28, 28), np.uint8))
    labels = write_idx(tmp_path / "letters-labels", np.array([0, 4, 0], np.uint8))
    mapping = tmp_path / "letters-mapping.txt"
    mapping.write_text("4 68\n")  # labels 0 … 3 unused
    with pytest.raises(IdxFormatError, match=r"letters-labels: 2 images labelled 0, a label"):
        load_emnist(images, labels, mapping=mapping)
    with pytest.raises(IdxFormatError, match=r"labelled 0, a label the mapping given leaves"):
        load_emnist(images, labels, mapping=["", "", "", "", "D"])


@pytest.mark.parametrize(
    ("mapping", "bad"),
    [([1, 2, 3], "label 0 is 1,"), (["a", "bc", "d"], "label 1 is 'bc',"), (["a", None], "None")],
)
def test_a_mapping_of_anything_but_single_characters_is_refused(
    tmp_path: Path, mapping: list[object], bad: str
) -> None:
    images = write_idx(tmp_path / "i", np.zeros((2, 28, 28), np.uint8))
    labels = write_idx(tmp_path / "l", np.array([0, 1], np.uint8))
    with pytest.raises(ValueError, match=f"mapping: .*{bad}.* not a single printable character"):
        load_emnist(images, labels, mapping=mapping)  # type: ignore[arg-type]


def test_any_sequence_of_characters_is_a_mapping(tmp_path: Path) -> None:
    images = write_idx(tmp_path / "i", np.zeros((3, 28, 28), np.uint8))
    labels = write_idx(tmp_path / "l", np.array([2, 0, 1], np.uint8))
    assert load_emnist(images, labels, mapping=tuple("xyz")).characters() == ["z", "x", "y"]
    assert load_emnist(images, labels, mapping=np.array(list("xyz"))).mapping == list("xyz")


@pytest.mark.parametrize(
    ("text", "why"), [("0 48\n0 65\n", "label 0 is given twice"), ("0 48\n1 7\n", "label 1 is")]
)
def test_a_mapping_file_giving_a_label_twice_or_a_control_character_is_refused(
    tmp_path: Path, text: str, why: str
) -> None:
    path = tmp_path / "bad-mapping.txt"
    path.write_text(text)
    with pytest.raises(IdxFormatError, match=rf"bad-mapping\.txt: not an EMNIST .*\({why}"):
        read_mapping(path)
