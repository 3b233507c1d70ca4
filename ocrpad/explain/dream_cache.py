"""Dreams kept on disk, so that a model's dreams are computed once, not at every start.

A dream depends only on the model's weights, its labels, the dream settings and the seed; the
cache file's name is a hash of all of them, so a fine-tuned or retrained model never gets
another model's dreams. Files are plain ``.npy`` arrays (no pickles), written atomically; a
damaged or foreign file is ignored and computed again. Every fine-tune makes a new model, so
a save keeps the files of only the few models whose dreams were saved or loaded last.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.explain.dream import DreamSettings
from ocrpad.model import Model
from ocrpad.nn.atomic import TEMP_SUFFIX, remove_abandoned_temp_files

FORMAT: Final = "ocrpad-dreams-1"  # part of every key: a new dream algorithm, a new name
KEPT_MODELS: Final = 3  # models whose dreams stay on disk (about 1.3 MB each): the latest used
CACHE_FILE: Final = re.compile(r"([0-9a-f]{24})-.+\.npy")  # <model_key>-<kind>.npy


def model_key(
    model: Model, settings: DreamSettings, filter_settings: DreamSettings, seed: int
) -> str:
    """A short hex digest of everything a model's dreams depend on."""
    digest = hashlib.sha256(FORMAT.encode())
    for name, array in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update("\x00".join(model.labels).encode())
    digest.update(repr((settings, filter_settings, seed)).encode())
    return digest.hexdigest()[:24]


class DreamCache:
    """One folder of ``<key>-<kind>.npy`` files."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        remove_abandoned_temp_files(self.folder)  # of a save that was killed half-way

    def _path(self, key: str, kind: str) -> Path:
        return self.folder / f"{key}-{kind}.npy"

    def load(self, key: str, kind: str, count: int) -> NDArray[np.float32] | None:
        """The `count` dreams of `kind`, (count, H, W) float32, or None if not stored."""
        try:
            images: NDArray[np.float32] = np.load(self._path(key, kind), allow_pickle=False)
        except (OSError, ValueError):
            return None
        ok = images.ndim == 3 and len(images) == count and images.dtype == np.float32
        if not (ok and np.isfinite(images).all()):
            return None
        with suppress(OSError):  # used now: the files of the models used last are kept
            os.utime(self._path(key, kind))
        return images

    def save(self, key: str, kind: str, images: NDArray[np.float32]) -> None:
        """Store the dreams of `kind` (best effort: a folder that cannot be written is skipped),
        then delete the files of all but the KEPT_MODELS models used last, `key`'s included."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=self.folder, prefix=f".{key}-{kind}.", suffix=TEMP_SUFFIX
            )
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as file:
                np.save(file, np.asarray(images, dtype=np.float32), allow_pickle=False)
            Path(temporary).replace(self._path(key, kind))
        except OSError:  # e.g. a full disk: leave no half-written file behind
            Path(temporary).unlink(missing_ok=True)
            return
        self._forget_all_but_latest(key)

    def _forget_all_but_latest(self, key: str) -> None:
        """Delete the files of every model but `key` and the KEPT_MODELS - 1 others whose
        files were written or loaded last (by modification time). Best effort: a file that
        cannot be read or removed stays; files not named like ours are left alone."""
        try:
            names = sorted(path.name for path in self.folder.iterdir())
        except OSError:
            return  # a folder that cannot be listed whole: nothing is deleted
        latest: dict[str, float] = {}
        files: dict[str, list[Path]] = {}
        for name in names:
            found = CACHE_FILE.fullmatch(name)
            if found is None:
                continue
            path = self.folder / name
            with suppress(OSError):
                changed = path.stat().st_mtime
                files.setdefault(found[1], []).append(path)
                latest[found[1]] = max(changed, latest.get(found[1], changed))
        others = sorted((k for k in latest if k != key), key=latest.__getitem__, reverse=True)
        for old in others[KEPT_MODELS - 1 :]:
            for path in files[old]:
                with suppress(OSError):
                    path.unlink(missing_ok=True)
