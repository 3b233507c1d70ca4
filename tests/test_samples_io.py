"""Export to the shared ``.npz`` format and PNG folders, and import back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from npz_helpers import CUT_HEADER, replace_member
from PIL import Image

from ocrpad.data.samples import SampleStore
from ocrpad.data.samples_export import ExportCancelled
from ocrpad.data.samples_io import (
    STANDARD_MAPPING,
    export_drawings,
    export_mapping,
    export_npz,
    export_png_folders,
    folder_name,
    import_npz,
    read_npz_sources,
    read_npz_strokes,
)
from tests.test_samples import fake_renderer, line


@pytest.fixture
def filled(tmp_path: Path) -> SampleStore:
    store = SampleStore(tmp_path / "samples.sqlite", renderer=fake_renderer)
    store.add(line(5), "a", source="prompt")
    store.add(line(3) + line(4, 2.0), "A")
    store.add(line(6), "7", source="correction")
    store.add(line(2) + line(2) + line(3), "Σ")
    store.add(line(4), "/")
    return store


def test_the_export_has_every_array_of_the_shared_format(
    filled: SampleStore, tmp_path: Path
) -> None:
    path = tmp_path / "out" / "mine.npz"
    assert export_npz(filled, path) == 5
    with np.load(path, allow_pickle=False) as data:
        assert data["points"].dtype == np.float32 and data["points"].shape[1] == 2
        assert data["stroke_offsets"].dtype == np.int64
        assert list(data["sample_stroke_offsets"]) == [0, 1, 3, 4, 7, 8]
        assert data["labels"].dtype == np.int16
        mapping = [str(c) for c in data["mapping"]]
        assert mapping[:62] == list(STANDARD_MAPPING)
        assert [mapping[i] for i in data["labels"]] == ["a", "A", "7", "Σ", "/"]
        assert data["images"].shape == (5, 28, 28) and data["images"].dtype == np.uint8
        assert data["images"][1].max() == 255
        assert list(data["writer"]) == ["ocrpad-user"] * 5
        assert data["contributor"].shape == (5,) and not data["suspect"].any()
        assert list(data["source"]) == ["prompt", "free", "correction", "free", "free"]
    assert [p.name for p in path.parent.iterdir()] == ["mine.npz"]  # no temporary left behind


def test_export_then_import_gives_back_the_same_drawings(
    filled: SampleStore, tmp_path: Path
) -> None:
    path = tmp_path / "mine.npz"
    export_npz(filled, path)
    other = SampleStore(tmp_path / "other.sqlite", renderer=fake_renderer)
    ids = import_npz(other, path).ids
    assert len(ids) == 5
    assert other.counts_by_label() == filled.counts_by_label()
    for old, new in zip(filled, other, strict=True):
        assert new.label == old.label and new.source == "import"
        assert len(new.strokes) == len(old.strokes)
        for a, b in zip(old.strokes, new.strokes, strict=True):
            np.testing.assert_allclose(a, b)


def test_drawings_keep_the_source_the_file_records_only_when_asked(
    filled: SampleStore, tmp_path: Path
) -> None:
    path = tmp_path / "kept.npz"
    export_drawings(path, [line(3), line(4)], ["q", "7"], ["correction", "prompt"])
    assert read_npz_sources(path, 2) == ["correction", "prompt"]
    kept = SampleStore(tmp_path / "kept.sqlite", renderer=fake_renderer)
    import_npz(kept, path, keep_sources=True)
    assert [(s.label, s.source) for s in kept] == [("q", "correction"), ("7", "prompt")]
    plain = SampleStore(tmp_path / "plain.sqlite", renderer=fake_renderer)
    import_npz(plain, path)
    assert [s.source for s in plain] == ["import", "import"]


def test_a_missing_or_strange_source_array_imports_as_import(tmp_path: Path) -> None:
    path = tmp_path / "odd.npz"
    export_drawings(path, [line(3), line(4)], ["a", "b"])
    assert read_npz_sources(path, 2) == ["import", "import"]
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    for odd in (np.array(["free", "stolen"]), np.array([1, 2]), np.array(["free"])):
        np.savez(path, **{**arrays, "source": odd})
        assert read_npz_sources(path, 2) is None
        store = SampleStore(tmp_path / f"odd{len(odd)}{odd.dtype.kind}.sqlite", renderer=None)
        import_npz(store, path, keep_sources=True)
        assert [s.source for s in store] == ["import", "import"]
    del arrays["source"]
    np.savez(path, **arrays)
    assert read_npz_sources(path, 2) is None


def test_an_empty_store_exports_an_empty_but_valid_file(tmp_path: Path) -> None:
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    path = tmp_path / "empty.npz"
    assert export_npz(store, path) == 0
    drawings, labels = read_npz_strokes(path)
    assert drawings == [] and labels == []


def test_png_folders_hold_one_escaped_folder_per_class(filled: SampleStore, tmp_path: Path) -> None:
    root = tmp_path / "pngs"
    assert export_png_folders(filled, root) == 5
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert folders == ["7", "A_upper", "U+002F", "U+03A3", "a_lower"]
    (image,) = (root / "U+03A3").iterdir()
    with Image.open(image) as png:
        assert png.size == (28, 28) and png.mode == "L"
    index = (root / "labels.tsv").read_text(encoding="utf-8").splitlines()
    assert "U+03A3\tΣ" in index and "a_lower\ta" in index


def test_folder_names_differ_for_case_pairs_and_avoid_unsafe_characters() -> None:
    names = [folder_name(c) for c in [*STANDARD_MAPPING, "/", "\\", ":", "*", "?", ".", "é", "É"]]
    assert len({n.lower() for n in names}) == len(names)
    for name in names:
        assert all(ch.isalnum() or ch in "_+" for ch in name)


def test_extra_characters_are_appended_after_the_standard_classes() -> None:
    assert export_mapping(["a", "?", "+"])[62:] == ["+", "?"]


def test_a_malformed_npz_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, points=np.zeros((3, 2), np.float32), stroke_offsets=np.array([0, 5]))
    with pytest.raises(ValueError, match="lacks"):
        read_npz_strokes(path)
    np.savez(
        path,
        points=np.zeros((3, 2), np.float32),
        stroke_offsets=np.array([0, 5]),
        sample_stroke_offsets=np.array([0, 1]),
        labels=np.array([0], np.int16),
        mapping=np.array(["a"]),
    )
    with pytest.raises(ValueError, match="stroke_offsets"):
        read_npz_strokes(path)
    text = tmp_path / "text.npz"
    text.write_text("not a zip", encoding="utf-8")
    with pytest.raises(ValueError, match="not a readable"):
        read_npz_strokes(text)


def test_an_import_whose_array_header_is_cut_off_is_refused_and_adds_nothing(
    filled: SampleStore, tmp_path: Path
) -> None:
    path = tmp_path / "mine.npz"
    export_npz(filled, path)
    before = filled.count()
    with pytest.raises(ValueError, match=r"mine\.npz is not a readable \.npz file: damaged"):
        import_npz(filled, replace_member(path, "labels.npy", CUT_HEADER))
    assert filled.count() == before


@pytest.mark.data
def test_the_shared_unipen_file_reads_as_drawings(unipen_dir: Path) -> None:
    drawings, labels = read_npz_strokes(unipen_dir / "unipen-test.npz")
    assert len(drawings) == len(labels) == 9854
    assert set(labels) <= set(STANDARD_MAPPING)
    assert all(s.shape[1] == 2 for s in drawings[0])


def _cancel_at(call: int) -> tuple[list[int], Callable[[], bool]]:
    """A cancel flag that says stop from its ``call``-th question on (counting them)."""
    asked: list[int] = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) >= call

    return asked, cancel


@pytest.mark.parametrize("call", [1, 3, 7])  # before any picture, mid-way, before the rename
def test_a_cancelled_export_writes_nothing_and_leaves_the_earlier_file_whole(
    filled: SampleStore, tmp_path: Path, call: int
) -> None:
    path = tmp_path / "out" / "mine.npz"
    path.parent.mkdir()
    path.write_bytes(b"an earlier export")
    asked, cancel = _cancel_at(call)
    with pytest.raises(ExportCancelled):
        export_npz(filled, path, cancel=cancel)
    assert len(asked) == call  # 1 before, 5 pictures, 1 before the rename: asked at each
    assert path.read_bytes() == b"an earlier export"
    assert [p.name for p in path.parent.iterdir()] == ["mine.npz"]  # no temporary file
    assert export_npz(filled, path, cancel=lambda: False) == 5  # the flag off: written


@pytest.mark.parametrize("call", [1, 4, 6])  # the first picture, mid-way, before the move
def test_a_cancelled_png_export_leaves_the_folder_as_it_was(
    filled: SampleStore, tmp_path: Path, call: int
) -> None:
    new, kept = tmp_path / "new", tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    for root in (new, kept):
        asked, cancel = _cancel_at(call)
        with pytest.raises(ExportCancelled):
            export_png_folders(filled, root, cancel=cancel)
        assert len(asked) == call
    assert not new.exists() and [p.name for p in kept.iterdir()] == ["notes.txt"]
    assert export_png_folders(filled, new, cancel=lambda: False) == 5
