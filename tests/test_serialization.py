"""Model files: atomic save, and one documented error for every kind of damaged file."""

from __future__ import annotations

import io
import json
import os
import struct
import tempfile
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ocrpad.model import build_model, load_model
from ocrpad.nn import ModelFileError, load_arrays, save_arrays
from ocrpad.nn.atomic import remove_abandoned_temp_files, write_npz_anew


class PickleBomb:
    """Unpickling this would create a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.npz"
    build_model().save(path)
    return path


def test_arrays_and_meta_round_trip(tmp_path: Path) -> None:
    arrays = {"a.weight": np.arange(6, dtype=np.float32).reshape(2, 3)}
    save_arrays(tmp_path / "m.npz", arrays, {"labels": ["x"], "n": 1})
    loaded, meta = load_arrays(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded["a.weight"], arrays["a.weight"])
    assert meta == {"labels": ["x"], "n": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temp file left behind


def test_saving_replaces_an_existing_file_whole(model_file: Path) -> None:
    model = build_model(rng=np.random.default_rng(5))
    model.save(model_file)
    np.testing.assert_array_equal(load_model(model_file).state_dict()["out.bias"], 0)
    assert len(list(model_file.parent.iterdir())) == 1


def expect_error(path: Path, *words: str) -> None:
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message, message


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "empty.npz").write_bytes(b"")
    expect_error(tmp_path / "empty.npz", "empty")


def test_a_missing_file_is_rejected(tmp_path: Path) -> None:
    expect_error(tmp_path / "nothing.npz", "no such file")
    with pytest.raises(FileNotFoundError, match=r"nothing\.npz: no such file$"):  # either kind
        load_model(tmp_path / "nothing.npz")


def test_a_file_that_cannot_be_read_is_named_so_not_called_damaged(
    model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E.g. root's 0600 file after one ``sudo ocrpad`` (faked: root reads every file)."""
    real_open = io.open

    def refusing(file: object, *args: Any, **kwargs: Any) -> Any:
        if file in (model_file, str(model_file)):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", refusing)
    monkeypatch.setattr("io.open", refusing)  # what Path.open calls
    with pytest.raises(ModelFileError, match=r"cannot be read \(permission denied\)") as refused:
        load_model(model_file)
    assert "zip" not in str(refused.value)


def test_a_truncated_file_is_rejected(model_file: Path) -> None:
    data = model_file.read_bytes()
    model_file.write_bytes(data[: len(data) // 2])
    expect_error(model_file)


def test_a_non_zip_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "text.npz"
    path.write_text("these are not the weights you are looking for")
    expect_error(path, "not an .npz")


def test_a_pickle_bearing_file_is_refused_and_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    buffer = io.BytesIO()
    bomb = np.empty(1, dtype=object)
    bomb[0] = PickleBomb(marker)
    np.savez(buffer, **{"conv1.weight": bomb, "__meta__": np.array("{}")})
    path.write_bytes(buffer.getvalue())
    expect_error(path, "pickle")
    assert not marker.exists()


def test_a_misshaped_array_is_named_with_both_shapes(model_file: Path) -> None:
    arrays, meta = load_arrays(model_file)
    arrays["fc1.weight"] = np.zeros((128, 10), np.float32)
    save_arrays(model_file, arrays, meta)
    expect_error(model_file, "fc1.weight", "(128, 10)", "(128, 9216)")


def _refused_reading_little(path: Path, *words: str) -> None:
    """load_model refuses ``path`` (a 64 MB member in it) naming ``words``, having allocated
    under 32 MB meanwhile (building the reference network takes some 20 MB)."""
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError) as refused:
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert all(word in str(refused.value) for word in words), str(refused.value)
    assert peak < 32_000_000, f"{peak:,} bytes allocated before the refusal"


def test_a_member_the_metadata_does_not_name_is_refused_before_any_array_is_read(
    model_file: Path,
) -> None:
    """64 MB of zeros deflate to 64 KB: such a member is refused from the zip directory."""
    header = {"descr": "<f4", "fortran_order": False, "shape": (16 * 1024 * 1024,)}
    with (
        zipfile.ZipFile(model_file, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("junk.npy", "w", force_zip64=True) as f,
    ):
        np.lib.format.write_array_header_1_0(f, header)
        for _ in range(16):
            f.write(bytes(4 * 1024 * 1024))
    _refused_reading_little(model_file, "unexpected arrays: junk")


def test_an_expected_array_larger_than_its_shape_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    model = build_model()
    arrays = model.state_dict()
    arrays["out.bias"] = np.zeros(16 * 1024 * 1024, np.float32)  # shape (62,) expected
    path = tmp_path / "model.npz"
    meta = np.array(json.dumps(model.file_meta()))
    np.savez_compressed(path, **arrays, __meta__=meta)  # type: ignore[arg-type]
    _refused_reading_little(path, "'out.bias' holds 67,108,", "(62,)")


def test_a_missing_array_is_named(model_file: Path) -> None:
    arrays, meta = load_arrays(model_file)
    del arrays["conv2.bias"]
    save_arrays(model_file, arrays, meta)
    expect_error(model_file, "conv2.bias", "missing")


def test_an_unexpected_array_is_named(model_file: Path) -> None:
    arrays, meta = load_arrays(model_file)
    arrays["conv9.weight"] = np.zeros(3, np.float32)
    save_arrays(model_file, arrays, meta)
    expect_error(model_file, "conv9.weight", "unexpected")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_array_is_rejected(model_file: Path, bad: float) -> None:
    arrays, meta = load_arrays(model_file)
    arrays["out.bias"][3] = bad
    np.savez(model_file, __meta__=np.array(json.dumps(meta)), **arrays)  # as a foreign writer
    expect_error(model_file, "out.bias", "NaN or infinite")


@pytest.mark.parametrize("bad", [np.nan, -np.inf])
def test_non_finite_weights_are_never_saved_over_a_good_file(model_file: Path, bad: float) -> None:
    before = model_file.read_bytes()
    model = build_model()
    model.network["out"].params["weight"][0, 0] = bad  # as a diverged fine-tune leaves it
    with pytest.raises(ValueError, match=r"out\.weight"):
        model.save(model_file)
    assert model_file.read_bytes() == before
    assert [p.name for p in model_file.parent.iterdir()] == [model_file.name]


def test_float64_weights_beyond_float32_are_refused_instead_of_loading_as_infinite(
    model_file: Path,
) -> None:
    """A file that once loaded (with only a RuntimeWarning) and then read every drawing as NaN."""
    arrays, meta = load_arrays(model_file)
    arrays["out.weight"] = arrays["out.weight"].astype(np.float64) * 1e300
    save_arrays(model_file, arrays, meta)  # finite as float64, so the file itself is well-formed
    expect_error(model_file, "out.weight", "beyond the range of float32")


def test_a_non_float_array_is_rejected(model_file: Path) -> None:
    arrays, meta = load_arrays(model_file)
    arrays["out.bias"] = arrays["out.bias"].astype(np.int32)
    save_arrays(model_file, arrays, meta)
    expect_error(model_file, "out.bias", "int32")


def test_foreign_or_broken_metadata_is_rejected(model_file: Path) -> None:
    arrays, meta = load_arrays(model_file)
    save_arrays(model_file, arrays, {**meta, "format_version": 99})
    expect_error(model_file, "format version")
    save_arrays(model_file, arrays, {**meta, "config": {"blocks": "nonsense"}})
    expect_error(model_file, "invalid metadata")
    save_arrays(model_file, arrays, {"something": "else"})
    expect_error(model_file, "not describe an ocrpad model")


def test_a_zip_without_metadata_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "plain.npz"
    np.savez(path, x=np.zeros(3))
    expect_error(path, "__meta__")


def test_a_zip_with_a_corrupt_member_is_rejected(model_file: Path) -> None:
    with zipfile.ZipFile(model_file, "a") as archive:
        archive.writestr("junk.npy", b"\x93NUMPY garbage")
    expect_error(model_file)


def test_saving_to_an_empty_path_says_no_file_name_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to fail renaming a temp file onto "." with "Device or resource busy"."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="no file name given"):
        build_model(labels=list("ab")).save("")
    assert list(tmp_path.iterdir()) == []


def test_saving_onto_a_folder_names_the_folder_not_a_temp_file(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        build_model(labels=list("ab")).save(folder)
    message = str(info.value)
    assert "a folder, not a file" in message and repr(str(folder)) in message
    assert ".tmp" not in message and "PosixPath" not in message
    assert [p.name for p in tmp_path.iterdir()] == ["models"] and not any(folder.iterdir())


def test_a_saved_model_file_follows_the_umask_like_any_new_file(tmp_path: Path) -> None:
    target = tmp_path / "model.npz"
    save_arrays(target, {"w": np.zeros(2, np.float32)}, {"format": 1})
    mask = os.umask(0o022)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def _rezip(path: Path, compression: int) -> None:
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)


def _set_every_header(path: Path, flags: int = 0, method: int | None = None) -> None:
    """Set general-purpose flag bits, or the compression method, in every local and central
    header of a zip archive (read from its directory, not by searching the data)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = [info.header_offset for info in archive.infolist()]
    end = data.rfind(b"PK\x05\x06")
    count, _, central = struct.unpack_from("<HII", data, end + 10)
    entries = []
    for _ in range(count):
        entries.append(central)
        name, extra, comment = struct.unpack_from("<HHH", data, central + 28)
        central += 46 + name + extra + comment
    for flag_at, method_at in [
        *((o + 6, o + 8) for o in local),
        *((o + 8, o + 10) for o in entries),
    ]:
        data[flag_at] |= flags
        if method is not None:
            struct.pack_into("<H", data, method_at, method)
    path.write_bytes(bytes(data))


def test_a_damaged_compressed_member_is_rejected(model_file: Path) -> None:
    _rezip(model_file, zipfile.ZIP_DEFLATED)  # as np.savez_compressed writes them
    data = bytearray(model_file.read_bytes())
    with zipfile.ZipFile(model_file) as archive:
        info = archive.getinfo("conv2.weight.npy")
    name, extra = struct.unpack_from("<HH", data, info.header_offset + 26)  # local header's
    start = info.header_offset + 30 + name + extra
    data[start : start + 16] = b"\xff" * 16  # a deflate block of the reserved type
    model_file.write_bytes(bytes(data))
    expect_error(model_file, "damaged", "invalid block type")


def test_an_encrypted_member_is_rejected(model_file: Path) -> None:
    _set_every_header(model_file, flags=1)
    expect_error(model_file, "encrypted")


def test_a_member_compressed_by_an_unknown_method_is_rejected(model_file: Path) -> None:
    _set_every_header(model_file, method=1)  # "shrink", which zipfile cannot undo
    expect_error(model_file, "not supported")


@pytest.mark.parametrize("label", ["\ud800", "\n", " ", "\u0301"])
def test_labels_that_are_no_visible_character_are_rejected(model_file: Path, label: str) -> None:
    arrays, meta = load_arrays(model_file)
    meta["labels"][1] = label  # a lone surrogate, a control, a space, a lone combining mark
    np.savez(model_file, __meta__=np.array(json.dumps(meta)), **arrays)
    expect_error(model_file, "invalid metadata", "labels")
    with pytest.raises(ValueError, match="labels"):
        build_model(labels=["a", label])


def test_a_failed_save_names_the_file_asked_for_not_its_hidden_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "user-model.npz"
    arrays = {"w": np.zeros(3, np.float32)}

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")  # as a write to the open file says it

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(OSError, match="No space left") as raised:
        save_arrays(target, arrays, {})
    assert raised.value.filename == str(target) and raised.value.errno == 28
    assert list(tmp_path.iterdir()) == []  # and the temp file is gone

    def read_only(*args: object, dir: Path, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(dir / ".user-model.npz.x1y2.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)  # the folder refuses a new file
    with pytest.raises(PermissionError) as refused:
        save_arrays(target, arrays, {})
    assert refused.value.filename == str(target)


def test_only_the_temp_files_of_the_named_targets_writes_are_removed(tmp_path: Path) -> None:
    """A folder other programs share: their hidden *.tmp files are not ocrpad's to delete."""
    ours = tmp_path / ".checkpoint.npz.k3j_x9.tmp"
    others = [tmp_path / n for n in (".notes.tmp", ".checkpoint.npz.tmp", ".other.npz.a1.tmp")]
    for path in (ours, *others):
        path.write_bytes(b"x")
        os.utime(path, (0, 0))
    assert remove_abandoned_temp_files(tmp_path, of="checkpoint.npz") == [ours]
    assert all(path.exists() for path in others)
    odd = tmp_path / ".[x]*.npz.abc.tmp"  # glob's own characters in the name are literal
    odd.write_bytes(b"x")
    os.utime(odd, (0, 0))
    assert remove_abandoned_temp_files(tmp_path, of="[x]*.npz") == [odd]
    assert all(path.exists() for path in others)


def test_temp_files_of_targets_matching_a_pattern_are_removed_and_no_others(
    tmp_path: Path,
) -> None:
    names = (".unsaved-20250101-120000.npz.a1.tmp", ".user-model.npz.b2.tmp", ".notes.tmp")
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (0, 0))
    removed = remove_abandoned_temp_files(tmp_path, like=("unsaved-*.npz", "user-model.npz"))
    assert sorted(path.name for path in removed) == sorted(names[:2])
    assert (tmp_path / ".notes.tmp").exists()


def test_writing_anew_takes_the_first_free_name_and_replaces_no_file(tmp_path: Path) -> None:
    taken = tmp_path / "unsaved-1.npz"
    taken.write_bytes(b"someone else's")
    names = (tmp_path / f"unsaved-{n}.npz" for n in range(1, 5))
    written = write_npz_anew(names, {"a": np.arange(3)})
    assert written == tmp_path / "unsaved-2.npz"
    assert taken.read_bytes() == b"someone else's"
    with np.load(written) as npz:
        assert npz["a"].tolist() == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unsaved-1.npz", "unsaved-2.npz"]
    with pytest.raises(FileExistsError):
        write_npz_anew([taken], {"a": np.arange(3)})
    assert taken.read_bytes() == b"someone else's" and len(list(tmp_path.iterdir())) == 2
