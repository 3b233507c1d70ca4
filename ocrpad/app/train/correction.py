"""The Draw tab's "Wrong? It was [ ] Undo" bar: type the right character, press Enter to save
the drawing with it; Undo takes the last saved correction back."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QToolButton, QWidget

from ocrpad.app.train.tips import named
from ocrpad.data.samples_format import label_text

UNDO_SAVE_TIP: Final = (
    "Take back the drawing “Wrong? It was” saved last (Alt+U, on once one is saved)"
)


class CorrectionBar(QWidget):
    """Typing only fills the field; Enter emits ``corrected(text)`` (written as a label is, by
    ``label_text``, and stripped), an empty or blank field emits ``problem(message)``; the Undo
    button emits ``undo_requested``."""

    corrected = Signal(str)
    problem = Signal(str)
    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("correctionBar")
        self.input = named(QLineEdit(), "correctionInput")
        self.input.setAccessibleName("The right character for this drawing")
        self.input.setPlaceholderText("?")
        self.input.setFixedWidth(44)
        self.input.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.input.setToolTip(
            "Type the right character and press Enter: the drawing is saved for fine-tuning"
        )
        self.undo_button = named(QToolButton(), "undoCorrection")
        self.undo_button.setText("&Undo save")  # not the strokes' Undo above it
        self.undo_button.setEnabled(False)
        self.undo_button.setToolTip(UNDO_SAVE_TIP)
        label = QLabel("&Wrong? It was")
        label.setBuddy(self.input)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(label)
        row.addWidget(self.input)
        row.addWidget(self.undo_button)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.input.returnPressed.connect(self._confirm)
        self.undo_button.clicked.connect(self.undo_requested.emit)

    def _confirm(self) -> None:
        text = label_text(self.input.text()).strip()  # the label as saved, for the reader too
        if not text:
            what = "A space is not a character: type" if self.input.text() else "Type"
            self.problem.emit(f"{what} the right character, then press Enter.")
            return
        self.corrected.emit(text)

    def saved(self, label: str) -> None:
        """The correction was saved: clear the field and offer to take it back."""
        self.input.clear()
        self.undo_button.setEnabled(True)
        self.undo_button.setToolTip(f"Take back the drawing just saved as “{label}” (Alt+U)")

    def undone(self) -> None:
        self.undo_button.setEnabled(False)
        self.undo_button.setToolTip(UNDO_SAVE_TIP)
