"""What a training run ran on: recorded in the model file (``meta["environment"]``), so that
whether a rerun can give the same network bit for bit can be checked, not guessed.

The same data, recipe and seed give the same weights only with the same NumPy, the same BLAS
library, version and CPU kernel (a kernel sums a product in its own order), and the same
number of training threads (a training pass splits each batch over them: the batch-norm and
gradient sums then add up in another order). Python's version and the platform are recorded
too: the augmentation's rendering runs in Python's own floating point.
"""

from __future__ import annotations

import os
import platform
from typing import Any, Final

import numpy as np

from ocrpad.nn import parallel

VARIABLES: Final = (
    "OCRPAD_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
)
"""Environment variables that change the threads or the BLAS kernel a run uses."""


def blas_library() -> str:
    """The BLAS NumPy was built with, as its build configuration names it: "scipy-openblas
    0.3.27" (or "unknown" when NumPy does not say)."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except (TypeError, KeyError, AttributeError, ValueError):  # an older NumPy: no dicts
        return "unknown"


def training_environment() -> dict[str, Any]:
    """This process's conditions for training, as JSON-ready values: numpy, blas (library
    and version), blas_kernel, blas_threads (None: not found), threads (ocrpad's training
    threads), variables (those of `VARIABLES` that are set), python, platform, machine,
    cpu_count."""
    return {
        "numpy": np.__version__,
        "blas": blas_library(),
        "blas_kernel": parallel.blas_kernel(),
        "blas_threads": parallel.blas_threads(),
        "threads": parallel.threads(),
        "variables": {name: os.environ[name] for name in VARIABLES if name in os.environ},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def recorded_sessions(recorded: object) -> list[dict[str, Any]]:
    """The environments a checkpoint recorded (``meta["environments"]``), one per training
    session that wrote it, oldest first; none from a checkpoint written before they were
    recorded, or from a malformed record."""
    if not isinstance(recorded, list):
        return []
    return [entry for entry in recorded if isinstance(entry, dict)]
