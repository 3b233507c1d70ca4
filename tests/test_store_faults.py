"""The sample store in a hostile world: other processes' locks, a full disk, damaged rows,
odd arrays, hostile import files and export folders. Nothing is lost or overwritten."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ocrpad.data import samples_export, samples_io
from ocrpad.data.samples import (
    SampleStore,
    StoreBusyError,
    StoreMovedError,
    StoreWriteError,
    open_store,
    validate_label,
    validate_strokes,
)
from ocrpad.data.samples_db import MAX_PATH_BYTES
from ocrpad.data.samples_errors import write_error
from tests.store_helpers import (
    NEEDS_ERROR_CODES,
    REPLACED,
    REPO,
    WINDOWS_KEEPS_OPEN_FILES,
    locked_by_another_process,
    run_on_a_full_disk,
)
from tests.test_samples import fake_renderer, line


def _store_with(path: Path, n: int = 3) -> None:
    with SampleStore(path, renderer=None) as store:
        for i in range(n):
            store.add(line(4 + i), "abc"[i % 3])


def test_a_store_locked_by_another_process_is_busy_not_damaged_and_nothing_moves(
    tmp_path: Path,
) -> None:
    path = tmp_path / "samples.sqlite"
    _store_with(path)
    with locked_by_another_process(path) as outcome, pytest.raises(StoreBusyError) as info:
        open_store(path, renderer=None)
    assert "in use by another program" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samples.sqlite"]  # not set aside
    assert outcome == ["committed"]  # the other program's change went through
    with SampleStore(path, renderer=None) as store:
        assert store.count() == 3


def test_a_save_while_another_process_holds_the_lock_waits_briefly_then_says_busy(
    tmp_path: Path,
) -> None:
    path = tmp_path / "samples.sqlite"
    _store_with(path)
    store = SampleStore(path, renderer=None)
    with locked_by_another_process(path, "IMMEDIATE") as outcome:
        with pytest.raises(StoreBusyError, match="in use by another program"):
            store.add(line(), "z")
        assert store.count() == 3  # reading still works under a write lock
    assert outcome == ["committed"]
    store.add(line(), "z")  # and once it is free, the same store saves
    assert store.count() == 4


def test_a_read_while_another_process_holds_an_exclusive_lock_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "samples.sqlite"
    _store_with(path)
    store = SampleStore(path, renderer=None)
    with locked_by_another_process(path), pytest.raises(StoreBusyError):
        store.samples()
    assert len(store.samples()) == 3


FULL_DISK = """
import sys
import numpy as np
from ocrpad.data.samples import SampleStore, StoreWriteError
store = SampleStore(sys.argv[1] + "/samples.sqlite", renderer=None)
rng = np.random.default_rng(0)
saved = 0
try:
    for i in range(100_000):
        store.add([rng.random((400, 2)).astype(np.float32)], "a")
        saved += 1
except StoreWriteError as error:
    print("error:", error)
print("saved", saved, "count", store.count(), "check", store.integrity_check())
"""


def test_a_really_full_disk_is_reported_as_a_full_disk_and_keeps_what_was_saved(
    tmp_path: Path,
) -> None:
    out = run_on_a_full_disk(FULL_DISK, tmp_path)
    assert "the disk is full" in out and "rollback" not in out, out
    saved = out.split("saved ")[1].split()
    assert saved[0] == saved[2] and saved[0] != "0" and out.strip().endswith("check ok"), out


def _damage(path: Path, sample_id: int, column: str, value: object) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE samples SET {column} = ? WHERE id = ?", (value, sample_id))
    db.close()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("strokes", "[[[1, 2], [3"),
        ("strokes", "[[[1, 2, 3]]]"),
        ("strokes", '{"a": 1}'),
        ("strokes", "[" * 5000 + "]" * 5000),
        ("strokes", b"\xff\xfe not text"),
        ("label", "ab"),
        ("created", "yesterday"),
    ],
)
def test_a_damaged_row_is_skipped_reported_and_kept_on_disk(
    tmp_path: Path, column: str, value: object
) -> None:
    path = tmp_path / "samples.sqlite"
    _store_with(path, 4)
    _damage(path, 2, column, value)
    store, moved = open_store(path, renderer=None)
    assert moved is None
    assert [s.id for s in store.samples()] == [1, 3, 4]
    assert list(store.damaged) == [2]
    assert store.count() == 4  # still in the file, for rescue
    out = tmp_path / "export.npz"
    assert samples_io.export_npz(store, out) == 3
    drawings, _ = samples_io.read_npz_strokes(out)
    assert len(drawings) == 3


def test_a_lone_combining_mark_is_not_a_label() -> None:
    with pytest.raises(ValueError, match="combining mark"):
        validate_label("\u0301")
    assert validate_label("e\u0301") == "é"


@pytest.mark.parametrize(
    ("stroke", "reason"),
    [
        (np.zeros((4, 3), np.float32), "not shape"),
        (np.zeros((2, 2, 2), np.float32), "not shape"),
        (np.zeros((4, 2), np.complex64), "real numbers"),
        ([["1", "2"]], "real numbers"),
        ([[1.0, 2.0], [3.0]], "list of"),
    ],
)
def test_strokes_that_are_not_xy_pairs_of_real_numbers_are_refused(
    stroke: object, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        validate_strokes([stroke])  # type: ignore[list-item]


def _npz(path: Path, **override: object) -> Path:
    arrays: dict[str, object] = {
        "points": np.array([[0, 0], [1, 1], [2, 0], [0, 2]], np.float32),
        "stroke_offsets": np.array([0, 2, 4], np.int64),
        "sample_stroke_offsets": np.array([0, 1, 2], np.int64),
        "labels": np.array([0, 1], np.int16),
        "mapping": np.array(["a", "b"]),
    }
    arrays.update(override)
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"points": np.zeros((4, 3), np.float32)}, "must be"),
        ({"points": np.zeros((4, 2), np.complex64)}, "real numbers"),
        ({"labels": np.array([0.4, 1.6])}, "whole numbers"),
        ({"stroke_offsets": np.array([0.0, 2.0, 4.0])}, "whole numbers"),
    ],
)
def test_an_import_with_odd_arrays_is_refused_not_coerced(
    tmp_path: Path, override: dict[str, object], reason: str
) -> None:
    path = _npz(tmp_path / "odd.npz", **override)
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    with pytest.raises(ValueError, match=reason):
        samples_io.import_npz(store, path)
    assert store.count() == 0


def test_an_import_over_the_limits_is_refused_whole_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _npz(tmp_path / "many.npz")
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    monkeypatch.setattr(samples_io, "USER_IMPORT", samples_io.ImportLimits(samples=1))
    with pytest.raises(ValueError, match="holds 2 drawings; ocrpad imports at most 1"):
        samples_io.import_npz(store, path)
    assert store.count() == 0


def test_a_file_of_countless_empty_strokes_is_refused_by_its_total_stroke_count(
    tmp_path: Path,
) -> None:
    """Every drawing within the per-drawing limits (500 strokes, 2 points), but 1,000,500
    strokes in all: refused whole before one array per stroke is built (a 523 KB file of
    50,000 such drawings took 4 GB and 30 s)."""
    n, k = 2001, 500
    lengths = np.zeros(n * k, np.int64)
    lengths[::k] = 2  # the first stroke of each drawing has two points; the rest are empty
    path = tmp_path / "empty-strokes.npz"
    np.savez_compressed(
        path,
        points=np.tile(np.array([[0, 0], [1, 1]], np.float32), (n, 1)),
        stroke_offsets=np.concatenate([[0], np.cumsum(lengths)]),
        sample_stroke_offsets=np.arange(0, n * k + 1, k, dtype=np.int64),
        labels=np.zeros(n, np.int16),
        mapping=np.array(["a"]),
    )
    assert k <= samples_io.USER_IMPORT.strokes_per_drawing
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    with pytest.raises(
        ValueError, match="holds 1,000,500 strokes; ocrpad imports at most 1,000,000"
    ):
        samples_io.import_npz(store, path)
    assert store.count() == 0


def test_a_zip_bomb_import_is_refused_from_the_zip_directory(tmp_path: Path) -> None:
    """300 MB of zeros compressed to ~300 KB: refused before a byte is decompressed."""
    path = tmp_path / "bomb.npz"
    small = _npz(tmp_path / "small.npz")
    header = b"\x93NUMPY\x01\x00" + (118).to_bytes(2, "little")
    text = repr({"descr": "<f4", "fortran_order": False, "shape": (300 * 1024 * 1024 // 8, 2)})
    header += text.encode().ljust(117) + b"\n"
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            if name != "points.npy":
                out.writestr(name, source.read(name))
        with out.open("points.npy", "w", force_zip64=True) as member:
            member.write(header)
            zeros = bytes(1 << 20)
            for _ in range(300):
                member.write(zeros)
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(ValueError, match="uncompressed"):
        samples_io.import_npz(store, path)


def test_an_import_skips_and_lists_drawings_it_cannot_store(tmp_path: Path) -> None:
    path = _npz(
        tmp_path / "some.npz",
        stroke_offsets=np.array([0, 2, 2, 4], np.int64),  # drawing 2 has an empty stroke only
        sample_stroke_offsets=np.array([0, 1, 2, 3], np.int64),
        labels=np.array([0, 1, 2], np.int16),
        mapping=np.array(["a", "b", "\u0301"]),
    )
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    result = samples_io.import_npz(store, path)
    assert len(result.ids) == 1 and len(result.skipped) == 2
    assert "empty" in result.skipped[0] and "combining" in result.skipped[1]


def test_a_cancelled_import_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    n = 30
    path = _npz(
        tmp_path / "n.npz",
        points=np.tile(np.array([[0, 0], [1, 1]], np.float32), (n, 1)),
        stroke_offsets=np.arange(0, 2 * n + 1, 2, dtype=np.int64),
        sample_stroke_offsets=np.arange(n + 1, dtype=np.int64),
        labels=np.zeros(n, np.int16),
    )
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    store.add(line(), "k")
    seen: list[int] = []
    result = samples_io.import_npz(
        store,
        path,
        progress=lambda done, total: seen.append(done),
        cancel=lambda: len(seen) >= 2,
        chunk=10,
    )
    assert result.cancelled and result.ids == [] and seen == [10, 20]
    assert store.counts_by_label() == {"k": 1}


def _drawings_file(path: Path, n: int) -> Path:
    """``n`` one-stroke drawings of 'a' in the shared format."""
    return _npz(
        path,
        points=np.tile(np.array([[0, 0], [1, 1]], np.float32), (n, 1)),
        stroke_offsets=np.arange(0, 2 * n + 1, 2, dtype=np.int64),
        sample_stroke_offsets=np.arange(n + 1, dtype=np.int64),
        labels=np.zeros(n, np.int16),
    )


def test_an_import_is_one_transaction_that_nobody_sees_before_it_ends(tmp_path: Path) -> None:
    """Others (another program, the window's own reads from another thread) see the store as
    it was until the import commits; its reads are not held up by the import meanwhile."""
    path = _drawings_file(tmp_path / "n.npz", 30)
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    store.add(line(), "k")
    seen: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        counts: list[int] = []
        reader = threading.Thread(target=lambda: counts.append(store.count()))
        reader.start()
        reader.join(60)  # a deadlock guard only: the read never waits for the import
        with sqlite3.connect(store.path) as other:
            counts.append(other.execute("SELECT COUNT(*) FROM samples").fetchone()[0])
        other.close()
        seen.append((done, *counts))

    result = samples_io.import_npz(store, path, progress=progress, chunk=10)
    assert seen == [(10, 1, 1), (20, 1, 1), (30, 1, 1)]
    assert len(result.ids) == 30 and store.count() == 31


KILLED_IMPORT = """
import os, sys
from ocrpad.data.samples import SampleStore
from ocrpad.data.samples_io import import_npz
store = SampleStore(sys.argv[1], renderer=None)
def progress(done, total):
    print(done, flush=True)
    os._exit(9)  # the power goes after the first chunk
import_npz(store, sys.argv[2], progress=progress, chunk=10)
"""


def test_a_process_killed_during_an_import_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    path = _drawings_file(tmp_path / "n.npz", 30)
    db = tmp_path / "s.sqlite"
    _store_with(db, 2)
    run = subprocess.run(
        [sys.executable, "-c", KILLED_IMPORT, str(db), str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert (run.returncode, run.stdout) == (9, "10\n"), run.stderr
    with SampleStore(db, renderer=None) as store:
        assert store.counts_by_label() == {"a": 1, "b": 1}
        assert store.integrity_check() == "ok"


def test_no_other_program_can_slip_in_between_an_imports_chunks_so_a_cancel_undoes_it_all(
    tmp_path: Path,
) -> None:
    """Another program asks for the lock after the first chunk, then the user cancels: the
    import still ends with the store as it began (it used to keep that chunk and say busy)."""
    path = _drawings_file(tmp_path / "n.npz", 30)
    store = SampleStore(tmp_path / "s.sqlite", renderer=None, busy_wait=0.1)
    store.add(line(), "k")
    other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
    seen: list[int] = []
    refused: list[bool] = []

    def cancel() -> bool:
        if not seen:
            return False
        try:
            other.execute("BEGIN EXCLUSIVE")  # held until after the import
            refused.append(False)
        except sqlite3.OperationalError:  # the import's transaction holds the file
            refused.append(True)
        return True

    try:
        result = samples_io.import_npz(
            store, path, progress=lambda done, total: seen.append(done), cancel=cancel, chunk=10
        )
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    assert refused == [True] and seen == [10]
    assert result.cancelled and result.ids == []
    assert store.counts_by_label() == {"k": 1}


def test_a_cancel_during_the_last_chunk_still_takes_the_import_back(tmp_path: Path) -> None:
    path = _drawings_file(tmp_path / "n.npz", 20)
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    seen: list[int] = []
    result = samples_io.import_npz(
        store,
        path,
        progress=lambda done, total: seen.append(done),
        cancel=lambda: seen == [10, 20],  # pressed while the last chunk was being written
        chunk=10,
    )
    assert result.cancelled and result.ids == [] and seen == [10, 20]
    assert store.count() == 0


@pytest.fixture
def filled(tmp_path: Path) -> SampleStore:
    store = SampleStore(tmp_path / "samples.sqlite", renderer=fake_renderer)
    store.add(line(5), "a")
    store.add(line(6), "7")
    return store


def test_png_export_never_writes_through_a_link_or_over_a_file(
    filled: SampleStore, tmp_path: Path
) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me", encoding="utf-8")
    for name in ("labels.tsv", "a_lower"):
        root = tmp_path / f"out-{name}"
        root.mkdir()
        (root / name).symlink_to(victim if name == "labels.tsv" else tmp_path)
        with pytest.raises(FileExistsError, match=name):
            samples_io.export_png_folders(filled, root)
        assert sorted(p.name for p in root.iterdir()) == [name]
    existing = tmp_path / "out-existing"
    (existing / "7").mkdir(parents=True)
    (existing / "7" / "2.png").write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="7"):
        samples_io.export_png_folders(filled, existing)
    assert (existing / "7" / "2.png").read_bytes() == b"mine"
    link = tmp_path / "link-to-folder"
    link.symlink_to(tmp_path / "out-existing")
    with pytest.raises(FileExistsError, match="symbolic link"):
        samples_io.export_png_folders(filled, link)
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_an_export_onto_the_stores_own_files_is_refused_and_the_store_lives_on(
    filled: SampleStore, tmp_path: Path
) -> None:
    path = filled.path
    (tmp_path / "link.sqlite").symlink_to(path)
    (tmp_path / "sub").mkdir()
    targets = [
        path,
        path.with_name(path.name + "-journal"),  # absent now: SQLite would take it as its own
        path.with_name(path.name + "-wal"),
        path.with_name(path.name + "-shm"),
        tmp_path / "link.sqlite",  # the same file under another name
        tmp_path / "sub" / ".." / path.name,
    ]
    for target in targets:
        with pytest.raises(ValueError, match="where the sample store keeps your drawings"):
            samples_io.export_npz(filled, target)
        with pytest.raises(ValueError, match="where the sample store keeps your drawings"):
            samples_io.export_drawings(target, [line()], ["z"], store_path=path)
    with pytest.raises(OSError):  # PNG folders only add new files: never over the store
        samples_io.export_png_folders(filled, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.sqlite", path.name, "sub"]
    filled.add(line(), "b")  # the open store still works
    filled.close()
    with SampleStore(path, renderer=None) as again:
        assert again.counts_by_label() == {"7": 1, "a": 1, "b": 1}
        assert again.integrity_check() == "ok"


def test_png_export_into_a_folder_with_other_files_adds_only_new_ones(
    filled: SampleStore, tmp_path: Path
) -> None:
    root = tmp_path / "shared"
    root.mkdir()
    (root / "notes.txt").write_text("hello", encoding="utf-8")
    assert samples_io.export_png_folders(filled, root) == 2
    assert sorted(p.name for p in root.iterdir()) == ["7", "a_lower", "labels.tsv", "notes.txt"]
    assert (root / "notes.txt").read_text(encoding="utf-8") == "hello"


PNG_EXPORT_ON_A_FULL_DISK = """
import os, sys
from pathlib import Path
import numpy as np
from ocrpad.data.samples import SampleStore
from ocrpad.data.samples_io import export_png_folders
disk = Path(sys.argv[1])
store = SampleStore(STORE, renderer=None)
filler = disk / "filler"
fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, bytes(65536))
except OSError:
    pass
os.ftruncate(fd, os.fstat(fd).st_size - 40 * 4096)  # room for some pictures, not all
os.close(fd)
try:
    export_png_folders(store, disk / "pictures")
    print("first: written")
except OSError as error:
    print("first:", error.strerror)
print("left:", sorted(os.listdir(disk)))
filler.unlink()
print("again:", export_png_folders(store, disk / "pictures"))
print("now:", sorted(os.listdir(disk / "pictures")), len(os.listdir(disk / "pictures" / "a_lower")))
"""


def test_a_png_export_that_fills_the_disk_leaves_nothing_behind_and_can_be_retried(
    tmp_path: Path,
) -> None:
    """It used to leave half the pictures, and the retry was refused (FileExistsError)."""
    store = tmp_path / "s.sqlite"
    with SampleStore(store, renderer=None) as filled:
        filled.add_many([line(5 + i % 7, i) for i in range(150)], ["a", "7"] * 75, "import")
    code = PNG_EXPORT_ON_A_FULL_DISK.replace("STORE", repr(str(store)))
    out = run_on_a_full_disk(code, tmp_path, size="2m").splitlines()
    assert out[:2] == ["first: No space left on device", "left: ['filler']"], out
    assert out[2:] == ["again: 150", "now: ['7', 'a_lower', 'labels.tsv'] 75"], out


def test_a_failed_png_export_into_a_folder_of_other_files_leaves_it_as_it_was(
    filled: SampleStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "shared"
    root.mkdir()
    (root / "notes.txt").write_text("hello", encoding="utf-8")
    write_new = samples_export._write_new

    def full_at_labels(path: Path, data: bytes) -> None:  # the disk fills at the last file
        if path.name == "labels.tsv":
            raise OSError(errno.ENOSPC, "No space left on device")
        write_new(path, data)

    monkeypatch.setattr(samples_export, "_write_new", full_at_labels)
    with pytest.raises(OSError, match="No space left"):
        samples_io.export_png_folders(filled, root)
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt"]
    monkeypatch.undo()
    assert samples_io.export_png_folders(filled, root) == 2
    assert sorted(p.name for p in root.iterdir()) == ["7", "a_lower", "labels.tsv", "notes.txt"]


def test_a_damaged_stored_picture_is_drawn_again_on_export(
    filled: SampleStore, tmp_path: Path
) -> None:
    _damage(filled.path, 1, "png", b"\x89PNG broken")
    out = tmp_path / "e.npz"
    assert samples_io.export_npz(filled, out) == 2
    with np.load(out) as data:
        assert data["images"][0].max() == 255


def test_a_class_with_many_drawings_can_be_read_newest_first_in_a_bounded_slice(
    tmp_path: Path,
) -> None:
    store = SampleStore(tmp_path / "s.sqlite", renderer=None)
    ids = store.add_many([line(3)] * 6, ["a"] * 6, "import")
    assert [s.id for s in store.samples("a", newest=2)] == ids[-2:]
    assert [s.id for s in store.samples("a")] == ids


def _move(path: Path, how: str) -> None:
    """What a sync tool, a backup restore or a person does to the store while it is open."""
    if how == "deleted":
        path.unlink()
    elif how == "folder deleted":
        shutil.rmtree(path.parent)
    elif how == "folder renamed":
        path.parent.rename(path.parent.with_name("moved"))
    else:  # replaced by a copy of itself
        copy = path.with_name("copy")
        shutil.copy(path, copy)
        path.unlink()
        copy.rename(path)


@WINDOWS_KEEPS_OPEN_FILES
@pytest.mark.parametrize("how", ["deleted", "folder deleted", "folder renamed", REPLACED])
def test_a_store_moved_while_open_says_so_and_the_next_change_reaches_the_file_at_its_path(
    tmp_path: Path, how: str
) -> None:
    path = tmp_path / "data" / "samples.sqlite"
    path.parent.mkdir()
    with SampleStore(path, renderer=None) as store:
        store.add(line(), "a")
        _move(path, how)
        with pytest.raises(StoreMovedError, match="moved, replaced or deleted") as moved:
            store.add(line(), "b")
        assert "read-only" not in str(moved.value)
        store.add(line(), "c")
        before = ["a"] if how == "replaced" else []
        assert [s.label for s in store] == [*before, "c"]
        first = store.samples()[0].id
        store.relabel(first, "d")
        store.delete(first)
    with SampleStore(path, renderer=None) as again:
        assert [s.label for s in again] == (["c"] if how == "replaced" else [])


@WINDOWS_KEEPS_OPEN_FILES
@NEEDS_ERROR_CODES
@pytest.mark.parametrize("change", ["relabel", "delete"])
def test_relabelling_or_deleting_in_a_replaced_store_works_at_the_second_try(
    tmp_path: Path, change: str
) -> None:
    path = tmp_path / "samples.sqlite"
    _store_with(path)
    with SampleStore(path, renderer=None) as store:
        first = store.samples()[0].id
        _move(path, "replaced")
        act = (
            (lambda: store.relabel(first, "z"))
            if change == "relabel"
            else (lambda: store.delete(first))
        )
        with pytest.raises(StoreMovedError):
            act()
        act()
    with SampleStore(path, renderer=None) as again:
        labels = [s.label for s in again]
    assert labels == (["z", "b", "c"] if change == "relabel" else ["b", "c"])


def _store_path_of_length(base: Path, total: int) -> Path:
    """``base/ddd…/ddd…/samples.sqlite``, ``total`` bytes long in all (each folder < 255)."""
    folder = base
    while (room := total - len(os.fsencode(folder / "samples.sqlite")) - 1) > 0:
        folder /= "d" * min(room, 100)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "samples.sqlite"
    assert len(os.fsencode(path)) == total
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="SQLite's Unix files have this limit")
def test_a_store_path_too_long_for_sqlite_is_refused_with_its_length_and_the_limit(
    tmp_path: Path,
) -> None:
    longest = _store_path_of_length(tmp_path / "fits", MAX_PATH_BYTES)
    with SampleStore(longest, renderer=None) as store:
        store.add(line(), "a")  # the journal's name (8 bytes longer) fits too
        assert store.count() == 1
    too_long = _store_path_of_length(tmp_path / "over", MAX_PATH_BYTES + 1)
    (tmp_path / "link").symlink_to(too_long.parent)  # SQLite follows the link
    for path in (too_long, tmp_path / "link" / "samples.sqlite"):
        words = f"too long: {MAX_PATH_BYTES + 1} characters, at most {MAX_PATH_BYTES}"
        with pytest.raises(StoreWriteError, match=words):
            open_store(path)
    assert list(too_long.parent.iterdir()) == []


def test_without_sqlites_error_codes_a_store_gone_from_its_path_is_still_called_moved(
    tmp_path: Path,
) -> None:
    # Python 3.10's sqlite3 errors carry only their text: "attempt to write a readonly database"
    error = sqlite3.OperationalError("attempt to write a readonly database")
    gone = write_error(tmp_path / "samples.sqlite", error)
    assert isinstance(gone, StoreMovedError)
    (tmp_path / "samples.sqlite").write_bytes(b"")
    there = write_error(tmp_path / "samples.sqlite", error)
    assert not isinstance(there, StoreMovedError) and "read-only" in str(there)
