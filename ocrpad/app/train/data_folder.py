"""The "Stored in" line of the Train tab's "Your samples" box: the folder the sample store's
file is in, read only, to select and copy (a long path scrolls inside it, never widening the
column)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from ocrpad.app.train.tips import named


class DataFolderLine(QWidget):
    """Shows `store_file`'s folder; hidden when no store file is known (then it stays so)."""

    def __init__(self, store_file: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = named(QLineEdit(), "dataFolder")
        self.folder.setReadOnly(True)
        self.folder.setFrame(False)
        self.folder.setAccessibleName("Folder where your drawings are stored")
        label = QLabel("Stored in:")
        label.setBuddy(self.folder)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        row.addWidget(self.folder, 1)
        self.show_store(store_file)

    def show_store(self, store_file: Path | None) -> None:
        """Name the folder of `store_file` (the sample store's own path), or hide."""
        if store_file is None:
            self.hide()
            return
        self.folder.setText(str(store_file.parent))
        self.folder.setCursorPosition(len(self.folder.text()))  # the folder's own name shows
        tip = f"Your drawings are stored in {store_file}"
        self.setToolTip(tip)
        self.folder.setToolTip(tip)
