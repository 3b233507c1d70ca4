"""What `ocrpad-train` leaves in its checkpoint folder between runs: a run that does not
`--resume` never silently replaces, nor silently continues, an earlier run's checkpoint."""

from __future__ import annotations

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


def set_aside_earlier_run(checkpoints: Path) -> list[Path]:
    """`--restart`: rename the earlier run's checkpoint and best model in ``checkpoints``
    (never delete them), saying where each went; returns their new paths. OSError if one
    cannot be renamed."""
    moved = set_aside_run(checkpoints, (CHECKPOINT_NAME, BEST_MODEL_NAME))
    for path in moved:
        print(f"set the earlier run's {path.name.split('.')[0]} aside as {path}", flush=True)
    return moved
