"""How the window says a count: '1 drawing', '3 drawings', '94 classes', '12,345 drawings'."""

from __future__ import annotations


def plural(number: int, noun: str) -> str:
    """A number, in thousands (``12,345``), with its noun in the right form ('class' takes
    'es', as 'box' and 'match')."""
    if number == 1:
        return f"{number} {noun}"
    ending = "es" if noun.endswith(("s", "x", "ch", "sh")) else "s"
    return f"{number:,} {noun}{ending}"
