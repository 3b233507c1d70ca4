"""SampleStore: durable transactions, validation, undo, corrupt and read-only files, kill-safety."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from ocrpad.data.samples import (
    Sample,
    SampleStore,
    StoreCorruptError,
    StoreNewerError,
    StoreWriteError,
    decode_png,
    move_aside,
    open_store,
    validate_label,
)


def fake_renderer(strokes: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
    """A stand-in for render_strokes: fast, deterministic, depends on the strokes."""
    image = np.zeros((28, 28), np.float32)
    image[: len(strokes), : min(28, len(strokes[0]))] = 1.0
    return image


def line(n: int = 5, shift: float = 0.0) -> list[NDArray[np.float32]]:
    xs = np.linspace(0, 10, n, dtype=np.float32)
    return [np.stack([xs + shift, xs * 2], axis=1)]


@pytest.fixture
def store(tmp_path: Path) -> SampleStore:
    return SampleStore(tmp_path / "samples.sqlite", renderer=fake_renderer)


def test_a_new_store_is_created_empty_with_a_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "samples.sqlite"
    path.parent.mkdir()
    with SampleStore(path, renderer=None) as store:
        assert store.count() == 0
        assert list(store) == []
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1


def test_added_samples_come_back_with_label_strokes_time_and_source(store: SampleStore) -> None:
    first = store.add(line(), "g", source="prompt")
    second = store.add(line(3, 1.5) + line(4), "Σ", source="correction")
    samples = list(store)
    assert [s.id for s in samples] == [first, second]
    assert isinstance(samples[0], Sample)
    assert samples[0].label == "g" and samples[0].source == "prompt"
    assert samples[1].label == "Σ" and len(samples[1].strokes) == 2
    np.testing.assert_allclose(samples[0].strokes[0], line()[0], atol=0.01)
    assert samples[0].strokes[0].dtype == np.float32
    assert samples[0].created <= samples[1].created
    with pytest.raises(AttributeError):
        samples[0].label = "x"  # type: ignore[misc]


def test_each_sample_keeps_a_28_by_28_png_rendering(store: SampleStore) -> None:
    sample_id = store.add(line(), "a")
    data = store.png(sample_id)
    assert data is not None
    assert decode_png(data).shape == (28, 28)


def test_counts_by_label_counts_each_character(store: SampleStore) -> None:
    for label in "aab+é":
        store.add(line(), label)
    assert store.count() == 5 == len(store)
    assert store.counts_by_label() == {"+": 1, "a": 2, "b": 1, "é": 1}


@pytest.mark.parametrize("label", ["", "ab", " ", "\n", "\u200b", "\x00"])
def test_labels_must_be_one_visible_character(store: SampleStore, label: str) -> None:
    with pytest.raises(ValueError, match="label"):
        store.add(line(), label)
    assert store.count() == 0


def test_a_decomposed_accent_counts_as_one_character(store: SampleStore) -> None:
    sample_id = store.add(line(), "e\u0301")
    assert store.get(sample_id).label == "é"


@pytest.mark.parametrize("selector", ["\ufe0f", "\ufe0e"])
def test_an_emoji_pickers_variation_selector_is_no_second_character(
    store: SampleStore, selector: str
) -> None:
    """An emoji picker's heart is U+2764 and an invisible U+FE0F (show it in colour): it was
    refused as two characters, though a prompt took the same input as ❤."""
    sample_id = store.add(line(), "\u2764" + selector)
    assert store.get(sample_id).label == "\u2764"
    store.relabel(sample_id, "\u263a\ufe0f")
    assert store.counts_by_label() == {"\u263a": 1}


def test_a_keycap_is_refused_naming_the_character_to_type() -> None:
    with pytest.raises(ValueError, match="type '1' alone, without its keycap"):
        validate_label("1\ufe0f\u20e3")
    with pytest.raises(ValueError, match=r"exactly one character, got 'ab'$"):
        validate_label("ab")


def test_empty_or_non_finite_drawings_and_unknown_sources_are_refused(store: SampleStore) -> None:
    with pytest.raises(ValueError, match="empty"):
        store.add([], "a")
    with pytest.raises(ValueError, match="finite"):
        store.add([[[0.0, np.nan]]], "a")
    with pytest.raises(ValueError, match="source"):
        store.add(line(), "a", source="elsewhere")  # type: ignore[arg-type]
    assert store.count() == 0


def test_add_many_is_one_transaction_all_or_nothing(store: SampleStore) -> None:
    store.add(line(), "a")
    with pytest.raises(ValueError):
        store.add_many([line(), line(), []], ["b", "c", "d"], "import")
    assert store.counts_by_label() == {"a": 1}
    ids = store.add_many([line(), line()], ["b", "c"], "import")
    assert len(ids) == 2 and store.count() == 3


def test_a_failing_statement_rolls_back_the_whole_transaction(store: SampleStore) -> None:
    existing = store.add(line(), "a")
    clash = Sample(existing, "b", tuple(line()), 0.0, "free")
    with pytest.raises(ValueError, match="refused"):
        store.restore(clash)
    assert store.counts_by_label() == {"a": 1}
    assert store.add(line(), "c") > existing


def test_relabel_changes_only_the_label(store: SampleStore) -> None:
    sample_id = store.add(line(), "o")
    before = store.get(sample_id)
    store.relabel(sample_id, "0")
    after = store.get(sample_id)
    assert after.label == "0"
    assert after.created == before.created
    with pytest.raises(KeyError):
        store.relabel(sample_id + 100, "1")
    with pytest.raises(ValueError):
        store.relabel(sample_id, "10")


def test_relabel_many_relabels_all_or_none(store: SampleStore) -> None:
    ids = [store.add(line(k + 2), "a") for k in range(3)]
    with pytest.raises(KeyError, match=f"no sample with id {ids[2] + 100}"):
        store.relabel_many([ids[0], ids[2] + 100, ids[1]], "b")
    with pytest.raises(ValueError):
        store.relabel_many(ids, "bc")
    assert store.counts_by_label() == {"a": 3}  # nothing half done
    store.relabel_many(ids[:2], "b")
    assert [s.label for s in store] == ["b", "b", "a"]


def test_a_deleted_sample_can_be_restored_under_its_id(store: SampleStore) -> None:
    keep = store.add(line(), "a")
    gone = store.add(line(7), "b", source="prompt")
    deleted = store.delete(gone)
    assert [s.id for s in store] == [keep]
    assert store.restore(deleted) == gone
    restored = store.get(gone)
    assert (restored.label, restored.source, restored.created) == ("b", "prompt", deleted.created)
    assert store.png(gone) is not None
    newest = store.add(line(), "c")
    assert newest > gone  # ids are never reused
    with pytest.raises(KeyError):
        store.delete(12345)


def test_many_deleted_samples_come_back_in_one_transaction_with_their_pictures(
    store: SampleStore,
) -> None:
    ids = [store.add(line(k + 2), "ab"[k % 2]) for k in range(6)]
    pictures = {sample_id: store.png(sample_id) for sample_id in ids}
    commits: list[str] = []
    store._db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    taken = store.delete_taking([ids[4], ids[1], ids[2]])
    assert [t.sample.id for t in taken] == [ids[4], ids[1], ids[2]]  # in the order asked
    assert [t.png for t in taken] == [pictures[ids[4]], pictures[ids[1]], pictures[ids[2]]]
    assert [s.id for s in store] == [ids[0], ids[3], ids[5]] and len(commits) == 1
    store._renderer = None  # the pictures go back as they were, not drawn again
    assert store.restore_many(taken) == [ids[4], ids[1], ids[2]] and len(commits) == 2
    assert [s.id for s in store] == ids
    assert {sample_id: store.png(sample_id) for sample_id in ids} == pictures


def test_a_delete_of_many_with_one_gone_or_a_restore_with_one_wrong_changes_nothing(
    store: SampleStore,
) -> None:
    ids = [store.add(line(k + 2), "a") for k in range(4)]
    with pytest.raises(KeyError, match=f"no sample with id {ids[3] + 1}"):
        store.delete_taking([ids[0], ids[3] + 1, ids[1]])
    assert store.count() == 4  # not the first alone
    taken = store.delete_taking(ids[:3])
    wrong = Sample(ids[3], "a", tuple(line()), 1.0, "free")  # that id is taken
    with pytest.raises(ValueError, match="refused"):
        store.restore_many([*taken, wrong])
    assert [s.id for s in store] == [ids[3]]  # none of the others came back either
    with pytest.raises(ValueError, match="creation time"):
        store.restore_many([*taken, dataclasses.replace(wrong, created=float("nan"))])
    assert store.restore_many(taken) == ids[:3] and store.count() == 4


def test_a_numpy_integer_id_reaches_its_sample(store: SampleStore) -> None:
    first, second = store.add(line(), "a"), store.add(line(), "b")
    store.relabel(np.int64(first), "y")
    assert store.get(first).label == "y"
    deleted = store.delete(np.int32(second))
    assert deleted.id == second and isinstance(deleted.id, int)
    assert [s.id for s in store] == [first]
    assert store.restore(deleted) == second  # "Undo delete" works: the row had really gone
    store.delete_many(np.array([first, second]))
    assert store.count() == 0


@pytest.mark.parametrize(
    "bad",
    [1.0, 1.9, np.float64(1.0), True, np.bool_(True), "1", None],
    ids=["float", "float-1.9", "numpy-float", "bool", "numpy-bool", "text", "None"],
)
def test_an_id_that_is_not_a_whole_number_is_refused_and_changes_nothing(
    store: SampleStore, bad: object
) -> None:
    sample_id = store.add(line(), "a")
    for call in (
        lambda: store.get(bad),  # type: ignore[arg-type]
        lambda: store.png(bad),  # type: ignore[arg-type]
        lambda: store.relabel(bad, "z"),  # type: ignore[arg-type]
        lambda: store.delete(bad),  # type: ignore[arg-type]
        lambda: store.delete_many([sample_id, bad]),  # type: ignore[list-item]
        lambda: store.restore(Sample(bad, "q", tuple(line()), 1.0, "free")),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValueError, match="sample id must be a whole number"):
            call()
    assert [(s.id, s.label) for s in store] == [(sample_id, "a")]


def test_an_id_beyond_what_sqlite_can_hold_is_simply_no_sample(store: SampleStore) -> None:
    store.add(line(), "a")
    for huge in (2**70, -(2**70), 2**63):
        with pytest.raises(KeyError, match="no sample with id"):
            store.get(huge)
        with pytest.raises(KeyError, match="no sample with id"):
            store.delete(huge)
    store.delete_many([2**70])  # missing ids are ignored, as any other missing id
    assert store.count() == 1
    with pytest.raises(ValueError, match="positive whole number"):
        store.restore(Sample(-5, "q", tuple(line()), 1.0, "free"))


def test_a_sample_deleted_by_another_program_meanwhile_is_reported_not_ignored(
    store: SampleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample_id = store.add(line(), "a")
    found = store.get(sample_id)

    def found_then_gone(key: int) -> Sample:  # another program deletes it right after
        with sqlite3.connect(store.path) as other:
            other.execute("DELETE FROM samples WHERE id = ?", (sample_id,))
        other.close()
        return found

    monkeypatch.setattr(store, "get", found_then_gone)
    with pytest.raises(KeyError, match="no sample with id"):
        store.relabel(sample_id, "b")
    with pytest.raises(KeyError, match="no sample with id"):
        store.delete(sample_id)  # (it reads the sample inside its own transaction)


@pytest.mark.parametrize(
    "created",
    ["yesterday", None, float("nan"), float("inf"), True, 10**400, 1e300, -1.0],
    ids=["text", "None", "nan", "inf", "bool", "huge", "year 1e292", "before 1970"],
)
def test_a_restore_with_a_time_that_is_no_time_is_refused_and_writes_nothing(
    store: SampleStore, created: object
) -> None:
    """Such a row used to be written, then skipped as damaged by every read."""
    gone = store.delete(store.add(line(), "a"))
    with pytest.raises(ValueError, match="creation time"):
        store.restore(dataclasses.replace(gone, created=created))
    with pytest.raises(ValueError, match="unknown sample source"):
        store.restore(dataclasses.replace(gone, source="elsewhere"))
    assert store.count() == 0 and store.damaged_rows() == {}
    assert store.restore(gone) == gone.id
    back = store.get(gone.id)
    assert (back.label, back.created, back.source) == (gone.label, gone.created, gone.source)


def test_samples_of_one_label_are_listed_oldest_first(store: SampleStore) -> None:
    ids = [store.add(line(), c) for c in "xyx"]
    assert [s.id for s in store.samples("x")] == [ids[0], ids[2]]


def test_samples_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "samples.sqlite"
    with SampleStore(path, renderer=None) as store:
        store.add(line(), "q")
    with SampleStore(path, renderer=None) as store:
        assert store.counts_by_label() == {"q": 1}
        assert store.integrity_check() == "ok"


def test_a_garbage_file_raises_a_clear_corrupt_error(tmp_path: Path) -> None:
    path = tmp_path / "samples.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreCorruptError, match=r"samples\.sqlite"):
        SampleStore(path)
    assert issubclass(StoreCorruptError, ValueError)


def test_a_foreign_or_newer_database_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE things (x)")
    with pytest.raises(StoreCorruptError, match="not an ocrpad sample store"):
        SampleStore(foreign)
    newer = tmp_path / "newer.sqlite"
    SampleStore(newer, renderer=None).close()
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreNewerError, match="newer"):
        SampleStore(newer)


@pytest.mark.parametrize(
    "table",
    [
        "samples (x)",
        "samples (id TEXT, label, created, strokes, png, source)",
        "samples (id INTEGER PRIMARY KEY, label, created, strokes, source)",
    ],
    ids=["other-columns", "text-id", "no-png"],
)
def test_a_foreign_database_with_our_table_name_and_version_is_set_aside(
    tmp_path: Path, table: str
) -> None:
    """It used to open, then fail every read and save; now it is refused on opening and
    ``open_store`` moves it aside (kept whole) as it does a damaged store."""
    path = tmp_path / "samples.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(f"CREATE TABLE {table}; PRAGMA user_version = 1;")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreCorruptError, match="not an ocrpad sample store: its samples table"):
        SampleStore(path, renderer=None)
    store, moved = open_store(path, renderer=None)
    assert moved is not None and moved.read_bytes() == before
    store.add(line(), "a")
    assert store.counts_by_label() == {"a": 1}
    store.close()


def test_a_folder_or_pipe_where_the_store_belongs_is_named_for_what_it_is(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "samples.sqlite"
    folder.mkdir()
    with pytest.raises(StoreWriteError, match=r"samples\.sqlite is a folder, not a file"):
        open_store(folder, renderer=None)
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # nothing set aside
    if hasattr(os, "mkfifo"):
        pipe = tmp_path / "pipe.sqlite"
        os.mkfifo(pipe)
        with pytest.raises(StoreWriteError, match=r"pipe\.sqlite is a pipe, not a regular file"):
            open_store(pipe, renderer=None)


def test_a_newer_versions_store_is_left_where_it_is_not_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "samples.sqlite"
    with SampleStore(path, renderer=None) as store:
        store.add(line(5), "A")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 2")
    before = path.read_bytes()
    with pytest.raises(StoreNewerError, match="left as it is"):
        open_store(path, renderer=None)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_truncated_database_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "samples.sqlite"
    with SampleStore(path, renderer=None) as store:
        store.add_many([line(50)] * 200, ["a"] * 200, "import")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreCorruptError):
        store = SampleStore(path, renderer=None)
        list(store)


def test_a_corrupt_store_is_moved_aside_never_deleted(tmp_path: Path) -> None:
    path = tmp_path / "samples.sqlite"
    garbage = b"garbage" * 500
    path.write_bytes(garbage)
    store, moved = open_store(path, renderer=None)
    assert moved is not None and moved.name.startswith("samples.sqlite.corrupt-")
    assert moved.read_bytes() == garbage
    assert store.count() == 0
    store.add(line(), "a")
    store.close()
    again = move_aside(path)
    assert again != moved and again.exists() and moved.exists()


def test_opening_a_healthy_store_moves_nothing(tmp_path: Path) -> None:
    store, moved = open_store(tmp_path / "s.sqlite", renderer=None)
    assert moved is None
    store.close()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores modes")
def test_a_read_only_store_raises_a_clear_write_error_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "samples.sqlite"
    with SampleStore(path, renderer=None) as store:
        store.add(line(), "a")
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with SampleStore(path, renderer=None) as store:
            with pytest.raises(StoreWriteError, match="read-only"):
                store.add(line(), "b")
            assert store.counts_by_label() == {"a": 1}
        with pytest.raises(StoreWriteError):
            SampleStore(tmp_path / "new.sqlite")
    finally:
        tmp_path.chmod(0o755)
        path.chmod(0o644)


def test_a_refused_write_is_reported_as_read_only(store: SampleStore) -> None:
    store.add(line(), "a")
    store._db.execute("PRAGMA query_only = ON")  # SQLite answers as for a read-only file
    with pytest.raises(StoreWriteError, match="read-only"):
        store.add(line(), "b")
    with pytest.raises(StoreWriteError, match="read-only"):
        store.delete(store.samples()[0].id)
    assert store.counts_by_label() == {"a": 1}


def test_a_missing_folder_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(StoreWriteError, match="does not exist"):
        SampleStore(tmp_path / "nowhere" / "samples.sqlite")


def test_a_full_disk_raises_a_clear_write_error(store: SampleStore) -> None:
    store.add(line(), "a")
    store._db.execute("PRAGMA max_page_count = 2")  # the file cannot grow: like a full disk
    with pytest.raises(StoreWriteError, match="full"):
        store.add_many([line(200)] * 50, ["b"] * 50, "import")
    assert store.counts_by_label() == {"a": 1}


WRITER = """
import sys
from ocrpad.data.samples import SampleStore
store = SampleStore(sys.argv[1], renderer=None)
i = 0
while True:
    strokes = [[[float(i), 0.0], [1.0, float(i % 7)]]] * (1 + i % 5)
    sample_id = store.add(strokes, "abc"[i % 3], source="prompt")
    print(sample_id, flush=True)
    i += 1
"""


@pytest.mark.slow
def test_a_process_killed_mid_save_loses_no_acknowledged_sample(tmp_path: Path) -> None:
    path = tmp_path / "samples.sqlite"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    acknowledged: list[int] = []
    for text in process.stdout:
        acknowledged.append(int(text))
        if len(acknowledged) >= 60:
            break
    process.send_signal(signal.SIGKILL)
    acknowledged += [int(text) for text in process.stdout if text.strip()]
    process.wait()
    process.stdout.close()
    with SampleStore(path, renderer=None) as store:
        assert store.integrity_check() == "ok"
        stored = {s.id for s in store}
    assert set(acknowledged) <= stored


def test_a_long_import_leaves_the_store_readable_until_it_commits(tmp_path: Path) -> None:
    """With SQLite's default 2 MB page cache, a batch spilled its pages into the file before
    the commit and then locked every read out: the store's own count() said it was in use
    by another program."""
    store = SampleStore(tmp_path / "s.sqlite", renderer=None, busy_wait=0.2)
    store.add(line(), "a")
    rng = np.random.default_rng(0)
    drawing = [np.cumsum(rng.normal(size=(40, 2)), 0).astype(np.float32) * 5 for _ in range(2)]
    with store.batch() as batch:
        for _ in range(60):  # 1,500 drawings, about 6 MB of rows
            batch.add_many([drawing] * 25, ["x"] * 25, "import")
            assert store.count() == 1  # the import is not there yet, and reads go on
    assert store.count() == 1501
    store.close()
