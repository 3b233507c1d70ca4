"""What a screen reader says for the answer and the chart, and how it hears that they changed."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent
from PySide6.QtWidgets import QWidget

from ocrpad.reading.scoring import percent

__all__ = ["announce", "character_name", "percent", "ranked", "tell"]


def character_name(label: str) -> str:
    """A class as it should be heard: 'capital S' and 'small s' (a voice says both "ess"), a
    digit as itself, a symbol by its Unicode name ('full stop'): a reader set to skip
    punctuation would otherwise say nothing at all."""
    if len(label) != 1 or label.isdigit():
        return label
    if label.isalpha():
        return f"capital {label}" if label.isupper() else f"small {label}"
    return unicodedata.name(label, label).lower()


def ranked(classes: Sequence[tuple[str, float]], count: int = 3) -> str:
    """The first `count` (label, probability) pairs: 'capital S 87%, 5 9%, small s 2%'."""
    return ", ".join(f"{character_name(label)} {percent(p)}" for label, p in classes[:count])


def tell(widget: QWidget, name: str | None = None, description: str | None = None) -> None:
    """Set the widget's accessible name and/or description, and tell assistive technology that
    they changed (NameChanged, DescriptionChanged). Nothing is sent for text that stayed."""
    if name is not None and name != widget.accessibleName():
        widget.setAccessibleName(name)
        QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.NameChanged))
    if description is not None and description != widget.accessibleDescription():
        widget.setAccessibleDescription(description)
        event = QAccessibleEvent(widget, QAccessible.Event.DescriptionChanged)
        QAccessible.updateAccessibility(event)


def announce(widget: QWidget, message: str) -> None:
    """Ask a screen reader to say `message` when it is next idle (a polite announcement): how a
    widget that does not have the focus, like the answer, is heard when it changes."""
    QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(widget, message))
