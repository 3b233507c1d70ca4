"""Every reader of a user's file refuses a pipe, a folder or a device by name, never hangs."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ocrpad.data.emnist import read_idx, read_mapping
from ocrpad.data.samples_io import read_npz_strokes
from ocrpad.data.unipen import load_unipen
from ocrpad.files import check_regular_file
from ocrpad.learning.recipe import Recipe
from ocrpad.model import load_model
from ocrpad.picture import load_image

READERS: dict[str, Callable[[Path], object]] = {
    "load_unipen": load_unipen,
    "load_image": load_image,
    "read_idx": read_idx,
    "read_mapping": read_mapping,
    "read_npz_strokes": read_npz_strokes,
    "Recipe.from_json_file": Recipe.from_json_file,
    "load_model": load_model,
}


def _outcome(read: Callable[[Path], object], path: Path) -> BaseException | None:
    """What `read(path)` raised, failing the test (after unblocking it) if it hangs."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            read(path)
        except BaseException as exc:  # the test inspects whatever it was
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # blocked opening the pipe: give it a writer, then fail
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(10)
        pytest.fail(f"{read} waited on {path}")
    return raised[0] if raised else None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("name", sorted(READERS))
def test_a_named_pipe_is_refused_at_once(tmp_path: Path, name: str) -> None:
    pipe = tmp_path / "pipe.npz"
    os.mkfifo(pipe)
    error = _outcome(READERS[name], pipe)
    assert isinstance(error, ValueError | OSError), error
    assert "pipe.npz" in str(error)
    assert "a pipe" in str(error)


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_folder_is_refused_by_name(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    error = _outcome(READERS[name], folder)
    assert isinstance(error, ValueError | OSError) and "a-folder" in str(error)


def test_the_check_says_what_the_path_is(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        check_regular_file(tmp_path / "missing")
    with pytest.raises(IsADirectoryError, match="a folder, not a file"):
        check_regular_file(tmp_path)
    (tmp_path / "file").write_text("x")
    assert check_regular_file(tmp_path / "file") == tmp_path / "file"
    if Path("/dev/null").exists():
        with pytest.raises(OSError, match="device, not a regular file"):
            check_regular_file("/dev/null")
