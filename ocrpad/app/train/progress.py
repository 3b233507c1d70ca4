"""The progress dialog of a job the Train tab runs in the background (Export, Import)."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

SHOWN_AFTER_MS: Final = 400
"""A job that ends sooner shows no dialog at all."""


def background_progress(parent: QWidget, name: str, title: str, text: str) -> QProgressDialog:
    """A window-modal dialog with Cancel, object name `name`, that shows once a job has run
    SHOWN_AFTER_MS and stays until `reset()` (it neither resets nor closes itself when its
    bar is full: the job's end does that). Built hidden."""
    dialog = QProgressDialog(text, "Cancel", 0, 0, parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOWN_AFTER_MS)
    dialog.setAutoReset(False)
    dialog.setAutoClose(False)
    dialog.reset()
    return dialog
