"""Character groups and look-alike families (plain facts about the script).

Named character sets live in `ocrpad.charsets`. Groups (digits, capitals, small letters,
other) are what a writer's history says they have been writing. Families are characters that
are the same shape once a drawing is scaled to fit: the window names the others when the
answer is one of them ("o — or O, 0").
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from typing import Final

GROUPS: Final = ("digits", "upper", "lower", "other")
FAMILIES: Final = (
    "0Oo",
    "1Il",
    "Cc",
    "Jj",
    "Kk",
    "Mm",
    "Pp",
    "Ss",
    "Uu",
    "Vv",
    "Ww",
    "Xx",
    "Yy",
    "Zz",
)
"""The EMNIST look-alike case pairs (c j k m o p s u v w x y z; i and l apart, as their
capitals differ in shape) plus zero with O/o and one with I/l."""


def group_of(label: str) -> str:
    """The group of one label: digits, upper, lower or other."""
    if label in string.digits:
        return "digits"
    if label in string.ascii_uppercase:
        return "upper"
    if label in string.ascii_lowercase:
        return "lower"
    return "other"


def look_alikes(label: str, allowed: Iterable[str]) -> list[str]:
    """The other members of `label`'s family that are in `allowed` (family order)."""
    permitted = set(allowed)
    for family in FAMILIES:
        if label in family:
            return [c for c in family if c != label and c in permitted]
    return []


def restrict(labels: Sequence[str], charset: Iterable[str] | None) -> list[int]:
    """Indices into `labels` of the classes a charset allows (all for None), in model order.

    Raises ValueError when the charset shares no class with the model.
    """
    if charset is None:
        return list(range(len(labels)))
    wanted = set(charset)
    kept = [i for i, c in enumerate(labels) if c in wanted]
    if not kept:
        shown = "".join(sorted(wanted))[:40]
        raise ValueError(f"the model knows none of the characters {shown!r}")
    return kept
