"""What `ocrpad-train` leaves in its checkpoint folder between runs: a run that does not
`--resume` never silently replaces, nor silently continues, an earlier run's checkpoint; a
run that stops, or cannot write its checkpoint, says which checkpoint is left to resume."""

from __future__ import annotations

import os
from pathlib import Path

from ocrpad.learning.checkpoint import set_aside_run
from ocrpad.learning.fit import BEST_MODEL_NAME, CHECKPOINT_NAME


def check_no_earlier_run(checkpoints: Path, restart: bool) -> None:
    """Before the data is read, for a run without `--resume`: ValueError naming `--resume`
    and `--restart` when ``checkpoints`` holds an earlier run's checkpoint and `--restart`
    was not given."""
    checkpoint = checkpoints / CHECKPOINT_NAME
    if checkpoint.exists() and not restart:
        raise ValueError(
            f"{checkpoint} holds an earlier run's checkpoint: add --resume {checkpoint} to "
            "continue that run, or --restart to begin anew (it is then renamed "
            "checkpoint.set-aside-<time>.npz, not deleted)"
        )


def check_resume_writes_its_own(checkpoints: Path, resume: Path) -> None:
    """Before the data is read, for `--resume FILE`: the run writes its checkpoints to
    ``checkpoints``/checkpoint.npz, so ValueError when that is another file that exists
    (another run's, or an older copy of this one's), which it would write over. Refused, not
    redirected: a run that wrote somewhere the user did not name would be lost to them; the
    message names the `--checkpoint-dir` that continues beside FILE."""
    target = checkpoints / CHECKPOINT_NAME
    try:
        same = target.samefile(resume)
    except OSError:  # one of them is not there: nothing would be written over (fit names
        return  # a missing FILE)
    if same:
        return
    free = f"a folder that holds no {CHECKPOINT_NAME}"
    if not (resume.parent / CHECKPOINT_NAME).exists():
        free = f"{resume.parent} to go on beside it, or another {free}"
    raise ValueError(
        f"--resume {resume} would write its checkpoints over {target}, another checkpoint "
        f"that would be lost: add --checkpoint-dir {free}"
    )


def set_aside_earlier_run(checkpoints: Path) -> list[Path]:
    """`--restart`: rename the earlier run's checkpoint and best model in ``checkpoints``
    (never delete them), saying where each went; returns their new paths. OSError if one
    cannot be renamed."""
    moved = set_aside_run(checkpoints, (CHECKPOINT_NAME, BEST_MODEL_NAME))
    for path in moved:
        print(f"set the earlier run's {path.name.split('.')[0]} aside as {path}", flush=True)
    return moved


Written = tuple[int, int]
"""(modification time in ns, size) of a file: each atomic write of a checkpoint changes it."""


def written(path: Path) -> Written | None:
    """When and how big the file at `path` was written (None: there is none)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def what_is_left(
    checkpoint: Path, before: Written | None, resumed_from: Path | None, *, stopped: bool
) -> str:
    """Which checkpoint a run that ended early leaves to go on from. ``before``: how
    ``checkpoint`` was written when the run began (`written`); checkpoints are replaced
    atomically, so the last one saved is whole whatever stopped the run."""
    if written(checkpoint) not in (None, before):  # written by this run
        intact = "" if stopped else f"the last checkpoint saved, {checkpoint}, is intact: "
        return f"{intact}continue with the same command plus --resume {checkpoint}"
    if resumed_from is not None:
        return f"nothing new was saved: continue from --resume {resumed_from} again"
    return "nothing of this run was saved; nothing to resume"


def plain_os_error(error: OSError) -> str:
    """An OSError as a person reads it: 'FILE: No space left on device' (no '[Errno 28]')."""
    if error.strerror and error.filename is not None:
        return f"{os.fsdecode(error.filename)}: {error.strerror}"
    return str(error)
