"""Helpers for tests that make the sample store's world hostile: another process holding a
lock, a full disk (a tiny tmpfs in a private mount namespace), damaged rows."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ocrpad.data.samples import SampleStore

REPO = Path(__file__).resolve().parent.parent

LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN " + sys.argv[2])
db.execute("INSERT INTO other_program (note) VALUES ('mine')")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
print("committed", flush=True)
"""


@contextmanager
def locked_by_another_process(path: Path, mode: str = "EXCLUSIVE") -> Iterator[list[str]]:
    """Another process holds ``path`` locked (``BEGIN EXCLUSIVE``: no one may even read) with
    an uncommitted change of its own until the block ends; then it commits. Yields the list
    that receives that process's last output line ("committed" when its commit worked)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS other_program (note TEXT)")
    db.close()
    process = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    assert process.stdout.readline().strip() == "locked"
    outcome: list[str] = []
    try:
        yield outcome
    finally:
        out, err = process.communicate("\n", timeout=30)
        outcome.append(out.strip() or err.strip().splitlines()[-1])


def run_on_a_full_disk(code: str, tmp_path: Path, size: str = "300k") -> str:
    """Run ``python -c code DIR`` where DIR is a fresh tmpfs of ``size`` bytes (a private mount
    namespace, so no privileges are needed); returns stdout. Skips where that is impossible."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not available to mount a small tmpfs")
    mount = tmp_path / "small-disk"
    mount.mkdir()
    script = tmp_path / "script.py"
    script.write_text(code, encoding="utf-8")
    shell = f'mount -t tmpfs -o size={size} none "$1" && exec "$2" "$3" "$1"'
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", shell, "sh", str(mount), sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1", "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
        check=False,
    )
    if "mount" in result.stderr and result.returncode != 0 and not result.stdout:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


WINDOWS_KEEPS_OPEN_FILES = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows refuses to delete or rename a file SQLite has open"
)
NEEDS_ERROR_CODES = pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="a store replaced by a copy is told apart by SQLite's error code (Python 3.11+)",
)
REPLACED = pytest.param("replaced", marks=NEEDS_ERROR_CODES)
"""A store replaced by a copy of itself, as a parameter of the tests of moved stores."""


def alter_store(path: Path, sql: str) -> None:
    """Run one SQL statement on the store file at `path` as another program would: through
    its own connection, committed and closed (how a test damages a row)."""
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute(sql)
    finally:
        db.close()


def stored_labels(path: Path) -> list[str]:
    """The labels of the drawings in the store at `path`, oldest first, read afresh."""
    with SampleStore(path, renderer=None) as store:
        return [s.label for s in store]
