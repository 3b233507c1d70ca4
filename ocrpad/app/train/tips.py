"""The Train tab's widgets by name: ``named`` sets a widget's object name (for tests and
accessibility) and the one-line tooltip ``TIPS`` keeps for that name, with its shortcut.
Tooltips that change with the state (Fine-tune, Restore factory model) are set where it
changes."""

from __future__ import annotations

from typing import Final, TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)

TIPS: Final = {
    # Collect drawings
    "promptMode": "Show the characters to draw one at a time (Alt+P)",
    "freeMode": "Draw any character and type its label yourself (Alt+B)",
    "startPrompts": "Begin the prompts again with these characters (Alt+A, or Enter in Practise)",
    "saveButton": "Save the drawing with its label (Enter on the drawing, or Alt+S)",
    "skipButton": "Go on to the next prompt without saving this one (Alt+K)",
    "clearButton": "Clear the drawing (Alt+C, or Escape on the drawing)",
    # Your samples
    "relabelButton": "Give the selected drawings another label (Alt+R)",
    "deleteButton": "Delete the selected drawings; Undo delete brings them back (Delete, Alt+L)",
    "undoDeleteButton": "Bring back the drawings deleted last (Alt+U)",
    "exportButton": "Save all drawings as stroke arrays (.npz) or PNG folders (Alt+X)",
    "importButton": "Add the drawings of a stroke-array .npz file (Alt+M)",
    # Fine-tune
    "cancelButton": "Stop the fine-tune: the model in use stays as it is (Escape)",
    "trainVerdict": (
        "Before → after: the held-back drawings as the network alone reads them, without the "
        "history of your earlier drawings that the Draw tab's answers also use"
    ),
    "keepButton": "Use the fine-tuned model from now on, and save it (Alt+W)",
    "discardButton": "Throw the fine-tuned model away: the previous one stays in use (Alt+I)",
    "bringBackButton": "Use the fine-tuned model that Restore set aside again (Alt+Y)",
}


def named(widget: W, name: str) -> W:
    """Set the object name and the tooltip ``TIPS`` keeps for it, if any; return the widget."""
    widget.setObjectName(name)
    if name in TIPS:
        widget.setToolTip(TIPS[name])
    return widget
