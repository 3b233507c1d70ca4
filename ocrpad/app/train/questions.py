"""What the Train tab asks before something of the user's would go: their fine-tuned model
when the shipped one is restored; at close, a fine-tune still running or awaiting Keep /
Discard, and a kept model that could not be saved (after them ``keeper.ask_about_unsaved``
asks about drawings). Each question says where things go and returns the answer; ``wiring``
acts on it. A Keep at close that cannot be done is said in a box too: the window is going."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ocrpad.app.draw.picture import in_documents
from ocrpad.app.train.model_files import SET_ASIDE_INFIX

Decision = Literal["keep", "discard", "stay"]


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
            "“Bring back my model” uses it again."
        )
    if unsaved is not None:
        lines.append(f"The fine-tuned model in use could not be saved ({unsaved}): it is lost.")
    box.setInformativeText("\n\n".join(lines))
    restore = box.addButton("&Restore", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(restore if unsaved is None else cancel)
    box.exec()
    return box.clickedButton() is restore


def _box(parent: QWidget, title: str, text: str, details: str) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)  # a reason may name a path with '<' in it
    box.setText(text)
    box.setInformativeText(details)
    return box


def ask_to_stop_fine_tune(parent: QWidget) -> bool:
    """At close, while a fine-tune runs: True to stop it and close, False to stay."""
    box = _box(
        parent,
        "Fine-tune running",
        "A fine-tune is still running.",
        "Closing stops it; the model in use stays as it is.",
    )
    stop = box.addButton("&Stop and close", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
    box.exec()
    return box.clickedButton() is stop


def ask_about_result(parent: QWidget, outcome: str) -> Decision:
    """At close, while a fine-tuned model awaits Keep / Discard (``outcome``: the verdict)."""
    box = _box(parent, "Fine-tuned model", "Keep the fine-tuned model before closing?", outcome)
    keep = box.addButton("&Keep", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("&Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    box.exec()
    clicked = box.clickedButton()
    if clicked is keep:
        return "keep"
    return "discard" if clicked is discard else "stay"


def tell_model_not_kept(parent: QWidget, reason: str, user_model: Path | None) -> None:
    """At close, Keep was chosen for a fine-tuned model that cannot be kept (``reason``:
    weights that are not finite); ``user_model``: the file of the model the user had, which
    stays as it was (None: there is none)."""
    stays = (
        f"Your previous model stays as it was, in {user_model}."
        if user_model is not None
        else "No file was written; the model in use stays as it was."
    )
    box = _box(
        parent,
        "Fine-tuned model",
        "The fine-tuned model was not kept.",
        f"It could not be saved: {reason}. A model like that cannot be used or loaded "
        f"again. {stays} Fine-tune again after closing to try anew.",
    )
    box.addButton(QMessageBox.StandardButton.Ok)
    box.exec()


def ask_about_unsaved_model(
    parent: QWidget, reason: str, folder: Path, save_to: Callable[[Path], None]
) -> bool:
    """At close, the kept model in use could not be saved (``reason``), not even now: save it
    to a file the user chooses (``save_to`` writes it), close without it, or stay. True if
    the window may close."""
    return ask_to_save_elsewhere(
        parent,
        "Unsaved model",
        f"Your fine-tuned model is in use but could not be saved ({reason}).",
        f"Save it to a file you choose (put it in {folder} as user-model.npz to use it "
        "again), or close without it?",
        ("it", "ocrpad-model.npz", "Models (*.npz)"),
        save_to,
    )


def ask_to_save_elsewhere(
    parent: QWidget,
    title: str,
    text: str,
    details: str,
    what: tuple[str, str, str],
    write: Callable[[Path], None],
) -> bool:
    """The last resort at close, for something of the user's that could not be saved where it
    belongs: save it to a file they choose (``write`` writes it; a failure is said and the
    window stays), close without it (their explicit choice), or stay. ``what``: the pronoun
    ("it", "them"), the suggested file name and the dialog's file filter. True if the window
    may close."""
    pronoun, file_name, file_filter = what
    box = _box(parent, title, text, details)
    save = box.addButton("&Save to a file…", QMessageBox.ButtonRole.AcceptRole)
    drop = box.addButton(f"Close &without {pronoun}", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(save)
    box.exec()
    if box.clickedButton() is drop:
        return True
    if box.clickedButton() is not save:
        return False
    path, _ = QFileDialog.getSaveFileName(parent, title, in_documents(file_name), file_filter)
    if not path:
        return False
    try:
        write(Path(path))
    except (OSError, ValueError) as exc:
        QMessageBox.critical(parent, title, f"Could not write {path}: {exc}")
        return False
    return True
