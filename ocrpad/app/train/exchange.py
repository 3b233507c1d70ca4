"""The samples browser's export and import in words: the writing, and what is said of it (plain
functions: no Qt)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ocrpad.app.words import plural
from ocrpad.data import samples_io
from ocrpad.data.samples import SampleStore, StoreError
from ocrpad.data.samples_export import ExportCancelled


def export_all(
    store: SampleStore,
    path: Path,
    *,
    png_folders: bool,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[int, str]:
    """Write every drawing to ``path`` (.npz, or a folder of PNG folders beside it: the
    suffix dropped), ``progress(done, total)`` on the way; returns how many were written and
    what to say of it. A failure (a full disk) or a ``cancel`` that says to stop writes
    nothing: the .npz goes to a temporary file renamed into place, the pictures to a hidden
    folder moved into place, and an earlier file stays whole."""
    target = path.with_suffix("") if png_folders else path
    existed = target.exists()
    try:
        if png_folders:
            count = samples_io.export_png_folders(store, target, progress=progress, cancel=cancel)
        else:
            count = samples_io.export_npz(store, target, progress=progress, cancel=cancel)
    except ExportCancelled:
        kept = f"; the {target.name} that was there is as it was" if existed else ""
        return 0, f"Export cancelled: nothing was written{kept}"
    except (OSError, ValueError, StoreError, MemoryError) as exc:
        return 0, f"Export failed: {exc or type(exc).__name__}"
    damaged = len(store.damaged)
    note = f" ({plural(damaged, 'damaged drawing')} left out)" if damaged else ""
    return count, f"Exported {plural(count, 'drawing')} to {target}{note}"


def import_said(result: samples_io.ImportResult, name: str) -> str:
    """What to say of an import of the file `name` that ended (added, refused or cancelled)."""
    if result.cancelled:
        return f"Import of {name} cancelled: nothing was added"
    skipped = result.skipped
    note = f"; {len(skipped):,} skipped, e.g. {skipped[0]}" if skipped else ""
    return f"Imported {plural(len(result.ids), 'drawing')} from {name}{note}"
