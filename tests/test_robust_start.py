"""The real ``ocrpad`` process starts on everything a clumsy or hostile world leaves behind at
once (issue 14): a damaged row, bad settings, a hostile fine-tuned model, a killed Keep's
temporary file, a nonsense thread count. It shows its window and exits cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ocrpad.data.samples import SampleStore
from ocrpad.model import build_model
from ocrpad.nn import serialization
from tests.store_helpers import alter_store

REPO = Path(__file__).resolve().parent.parent


def _hostile_user_model(path: Path) -> None:
    build_model(labels=list("ab")).save(path)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("__meta__")))
    meta["config"] = {**meta["config"], "input_size": 100_000}
    serialization.save_arrays(path, arrays, meta)


@pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="the settings file is placed through XDG_CONFIG_HOME, which Qt reads on Linux only "
    "(elsewhere the run would read and overwrite the user's real settings)",
)
def test_ocrpad_starts_with_every_damage_at_once_and_says_what_it_did(tmp_path: Path) -> None:
    data, config = tmp_path / "data", tmp_path / "config"
    data.mkdir()
    with SampleStore(data / "samples.sqlite", renderer=None) as store:
        store.add([np.array([[0, 0], [5, 9]], np.float32)], "a")
        store.add([np.array([[0, 0], [5, 9]], np.float32)], "b")
    alter_store(data / "samples.sqlite", "UPDATE samples SET strokes = 'not json' WHERE id = 1")
    _hostile_user_model(data / "user-model.npz")
    tmp_file = data / ".user-model.npz.dead.tmp"
    tmp_file.write_bytes(b"\0" * 100)
    os.utime(tmp_file, (time.time() - 60,) * 2)
    (config / "ocrpad").mkdir(parents=True)
    (config / "ocrpad" / "ocrpad.ini").write_text(
        "[General]\npen_width=99999999999999999999\ntheme=\\x1\ncharacter_set=@Invalid(\n"
        "geometry=@ByteArray(zzz)\nguides=2\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QT_QPA_PLATFORM": "offscreen",
        "OCRPAD_DATA_DIR": str(data),
        "XDG_CONFIG_HOME": str(config),
        "OCRPAD_THREADS": "lots",
        "OCRPAD_STARTUP_PROBE": repr(time.time()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "ocrpad"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "s to a visible window" in result.stdout
    assert not tmp_file.exists()
    with SampleStore(data / "samples.sqlite", renderer=None) as store:
        assert store.count() == 2  # the damaged row is still there for rescue
    assert (data / "user-model.npz").exists()  # refused, not deleted


@pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="the settings file is placed through XDG_CONFIG_HOME, which Qt reads on Linux only",
)
def test_a_settings_value_that_would_abort_qt_is_moved_aside_and_ocrpad_starts(
    tmp_path: Path,
) -> None:
    """A @Variant list claiming 2^31 items: Qt's own parse threw std::bad_alloc (exit 134)."""
    config = tmp_path / "config" / "ocrpad"
    config.mkdir(parents=True)
    bomb = "[General]\npen_width=9\ngeometry=@Variant(\\0\\0\\0\\t\\x7f\\xff\\xff\\xff)\n"
    (config / "ocrpad.ini").write_text(bomb, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QT_QPA_PLATFORM": "offscreen",
        "OCRPAD_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "OCRPAD_STARTUP_PROBE": repr(time.time()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "ocrpad"], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    aside = list(config.glob("ocrpad.ini.bad-*"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == bomb
    assert "@Variant" not in (config / "ocrpad.ini").read_text(encoding="utf-8")
