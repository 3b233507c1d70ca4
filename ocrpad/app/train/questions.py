"""What the Train tab asks before something of the user's would go: their fine-tuned model
when the shipped one is restored. Each question says where things go and returns the answer;
``wiring`` acts on it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from ocrpad.app.train.model_files import SET_ASIDE_INFIX


def confirm_restore(parent: QWidget, user_model: Path | None, unsaved: str | None) -> bool:
    """Whether to go back to the shipped model. ``user_model``: the file of the user's model
    that will be set aside (None: there is none); ``unsaved``: why the model in use could not
    be saved, when it could not (restoring loses it)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question if unsaved is None else QMessageBox.Icon.Warning)
    box.setWindowTitle("Restore factory model")
    box.setText("Go back to the model ocrpad ships with?")
    lines = []
    if user_model is not None:
        lines.append(
            f"Your fine-tuned model is set aside, not deleted: it becomes "
            f"{user_model.stem}{SET_ASIDE_INFIX}<date>-<time>.npz in {user_model.parent}. "
            '"Bring back my model" uses it again.'
        )
    if unsaved is not None:
        lines.append(f"The fine-tuned model in use could not be saved ({unsaved}): it is lost.")
    box.setInformativeText("\n\n".join(lines))
    restore = box.addButton("&Restore", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(restore if unsaved is None else cancel)
    box.exec()
    return box.clickedButton() is restore
