"""The shared stroke-file reader: layout, subsets, writer split, damage reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from npz_helpers import CUT_HEADER, HUGE_HEADER, replace_member

from ocrpad.data import unipen
from ocrpad.data.unipen import DatasetFileError, load_unipen, split_by_writer
from ocrpad.preprocess import render_strokes


def write_tiny_npz(path: Path, n: int = 6, *, seed: int = 0) -> Path:
    """A small file in the shared format: sample i has 1 + i % 2 strokes of random points."""
    rng = np.random.default_rng(seed)
    strokes = [
        rng.normal(size=(rng.integers(2, 9), 2)) * 50 for i in range(n) for _ in range(1 + i % 2)
    ]
    per_sample = [1 + i % 2 for i in range(n)]
    np.savez(
        path,
        points=np.concatenate(strokes).astype(np.float32),
        stroke_offsets=np.concatenate([[0], np.cumsum([len(s) for s in strokes])]).astype(np.int64),
        sample_stroke_offsets=np.concatenate([[0], np.cumsum(per_sample)]).astype(np.int64),
        labels=(np.arange(n) % 3).astype(np.int16),
        mapping=np.array(["a", "B", "7"]),
        writer=np.array([f"w{i // 2}" for i in range(n)]),
        images=np.zeros((n, 28, 28), np.uint8),
    )
    return path


def test_a_tiny_file_reads_back_as_strokes(tmp_path: Path) -> None:
    data = load_unipen(write_tiny_npz(tmp_path / "tiny.npz"))
    assert len(data) == 6
    assert data.mapping == ["a", "B", "7"]
    assert data.characters()[:4] == ["a", "B", "7", "a"]
    assert [len(data.strokes(i)) for i in range(6)] == [1, 2, 1, 2, 1, 2]
    assert all(s.dtype == np.float32 and s.shape[1] == 2 for s in data.strokes(1))
    assert len(data.checksum) == 64


def test_render_all_matches_render_strokes(tmp_path: Path) -> None:
    data = load_unipen(write_tiny_npz(tmp_path / "tiny.npz"))
    images = data.render_all()
    assert images.shape == (6, 28, 28)
    np.testing.assert_allclose(images[3], render_strokes(data.strokes(3)), atol=1e-6)


def test_subset_repacks_the_chosen_samples_in_order(tmp_path: Path) -> None:
    data = load_unipen(write_tiny_npz(tmp_path / "tiny.npz"))
    sub = data.subset([5, 0])
    assert len(sub) == 2 and list(sub.labels) == [data.labels[5], data.labels[0]]
    for a, b in zip(sub.strokes(0), data.strokes(5), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sub.strokes(1)[0], data.strokes(0)[0])


def test_the_writer_split_keeps_each_writer_on_one_side(tmp_path: Path) -> None:
    data = load_unipen(write_tiny_npz(tmp_path / "tiny.npz", n=40))
    keep, held = split_by_writer(data.writers, 0.25, np.random.default_rng(1))
    assert len(keep) + len(held) == 40 and len(held) > 0
    assert not set(data.writers[keep]) & set(data.writers[held])


def test_damaged_files_are_reported_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, points=np.zeros((3, 2), np.float32))
    with pytest.raises(DatasetFileError, match=r"bad\.npz.*missing"):
        load_unipen(bad)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"junk")
    with pytest.raises(DatasetFileError, match=r"junk\.npz"):
        load_unipen(junk)


@pytest.mark.data
def test_the_shared_test_split_loads_with_62_classes(unipen_dir: Path) -> None:
    data = load_unipen(unipen_dir / "unipen-test.npz")
    assert len(data) == 9854
    assert "".join(data.mapping[:11]) == "0123456789A"
    assert data.images is not None and data.images.shape == (9854, 28, 28)
    image = data.render_all(indices=[0])[0]
    reference = data.images[0] / 255.0
    assert np.corrcoef(image.ravel(), reference.ravel())[0, 1] > 0.7


def _rewritten(source: Path, target: Path, **changes: object) -> Path:
    """`source`'s arrays with some replaced (None: left out), saved as `target`."""
    with np.load(source) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(changes)  # type: ignore[arg-type]
    np.savez(target, **{k: v for k, v in arrays.items() if v is not None})
    return target


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"points": np.zeros((5, 3), np.float32)}, r"points must be \(P, 2\) x, y, not \(5, 3\)"),
        ({"points": np.zeros(10, np.float32)}, r"points must be \(P, 2\)"),
        ({"labels": np.array(["a"] * 6)}, "wrong kind of values"),
        ({"labels": np.zeros(6, np.float32)}, "wrong kind of values"),
        ({"labels": np.zeros(0, np.int16)}, "holds no drawings"),
    ],
)
def test_arrays_of_the_wrong_shape_or_kind_are_named(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    bad = _rewritten(write_tiny_npz(tmp_path / "tiny.npz"), tmp_path / "bad.npz", **changes)
    with pytest.raises(DatasetFileError, match=rf"bad\.npz: .*{message}"):
        load_unipen(bad)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"writer": np.array("w0")}, r"writer must be one row, one name for each of the 6"),
        ({"writer": np.array([["w0"]] * 6)}, r"writer must be one row.*\(6, 1\)"),
        ({"writer": np.array(["w0"] * 5)}, r"writer must be one row.*\(5,\)"),
        ({"mapping": np.array(["a", "B", "7"])[:, None]}, r"mapping must be one row of text"),
        ({"mapping": np.arange(3)}, r"mapping must be one row of text.*int64"),
        ({"mapping": np.array("aB7")}, r"mapping must be one row of text.*\(\)"),
        ({"points": np.zeros((9, 2), complex)}, "points must be real numbers, not complex128"),
        ({"points": np.full((9, 2), "1")}, "points must be real numbers, not <U1"),
    ],
)
def test_a_writer_mapping_or_points_array_of_the_wrong_shape_or_kind_is_named_in_one_line(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    """A 0-d writer array was a TypeError (len() of unsized object) in every command; a 2-D
    mapping read as classes "['a']", a mapping of numbers as "97"."""
    bad = _rewritten(write_tiny_npz(tmp_path / "tiny.npz"), tmp_path / "bad.npz", **changes)
    with pytest.raises(DatasetFileError, match=rf"^[^\n]*bad\.npz: {message}[^\n]*$"):
        load_unipen(bad)


def test_writers_given_as_numbers_are_read_as_names(tmp_path: Path) -> None:
    source = write_tiny_npz(tmp_path / "tiny.npz")
    numbered = _rewritten(source, tmp_path / "numbered.npz", writer=np.arange(6) // 2)
    assert load_unipen(numbered).writers.tolist() == ["0", "0", "1", "1", "2", "2"]


def test_non_finite_points_are_named(tmp_path: Path) -> None:
    source = write_tiny_npz(tmp_path / "tiny.npz")
    with np.load(source) as npz:
        points = npz["points"].copy()
    points[3, 1] = np.nan
    bad = _rewritten(source, tmp_path / "bad.npz", points=points)
    with pytest.raises(DatasetFileError, match="points are not all finite"):
        load_unipen(bad)


def test_a_truncated_or_foreign_file_is_named(tmp_path: Path) -> None:
    """A download cut short, a zip of something else, or one array saved with np.save."""
    whole = write_tiny_npz(tmp_path / "tiny.npz").read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(whole[: len(whole) // 2])
    single = tmp_path / "single.npz"
    with single.open("wb") as f:
        np.save(f, np.zeros(3))
    for path in (cut, single, tmp_path / "empty.npz"):
        path.touch()
        with pytest.raises(DatasetFileError, match=rf"{path.name}: "):
            load_unipen(path)


@pytest.mark.parametrize(
    ("header", "why"), [(CUT_HEADER, "damaged"), (HUGE_HEADER, "points.npy claims")]
)
def test_an_array_header_cut_off_or_claiming_gigabytes_is_named(
    tmp_path: Path, header: bytes, why: str
) -> None:
    path = replace_member(write_tiny_npz(tmp_path / "tiny.npz"), "points.npy", header)
    with pytest.raises(DatasetFileError, match=rf"tiny\.npz: cannot read stroke data \({why}"):
        load_unipen(path)


def test_a_file_larger_than_the_bound_is_refused_before_anything_is_unpacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unipen, "MAX_FILE_BYTES", 1000)
    with pytest.raises(DatasetFileError, match="bytes uncompressed"):
        load_unipen(write_tiny_npz(tmp_path / "tiny.npz", n=40))
