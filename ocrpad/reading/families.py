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

import numpy as np
from numpy.typing import NDArray

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


def family_table(labels: Sequence[str]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The families with two or more members in `labels`: (F, m) indices into `labels` of
    each one's members, padded with 0, and (F, m) which entries are members."""
    where = {c: i for i, c in enumerate(labels)}
    found = [[where[c] for c in family if c in where] for family in FAMILIES]
    found = [members for members in found if len(members) >= 2]
    width = max((len(members) for members in found), default=0)
    columns = np.zeros((len(found), width), dtype=np.int64)
    real = np.zeros((len(found), width), dtype=bool)
    for f, members in enumerate(found):
        columns[f, : len(members)] = members
        real[f, : len(members)] = True
    return columns, real


def look_alikes(label: str, allowed: Iterable[str]) -> list[str]:
    """The other members of `label`'s family that are in `allowed` (family order)."""
    permitted = set(allowed)
    for family in FAMILIES:
        if label in family:
            return [c for c in family if c != label and c in permitted]
    return []


def restrict(labels: Sequence[str], charset: Iterable[str] | None) -> list[int]:
    """Indices into `labels` of the classes a charset allows (all for None), in model order.

    Raises ValueError when the charset shares no class with the model or holds anything but
    labels (strings).
    """
    if charset is None:
        return list(range(len(labels)))
    try:
        wanted = set(charset)
    except TypeError:
        raise ValueError(
            f"a character set is labels (a string or strings), not {charset!r}"
        ) from None
    strange = [c for c in wanted if not isinstance(c, str)]
    if strange:
        raise ValueError(f"a character set holds labels (strings), not {strange[0]!r}")
    kept = [i for i, c in enumerate(labels) if c in wanted]
    if not kept:
        shown = "".join(sorted(wanted))[:40]
        raise ValueError(f"the model knows none of the characters {shown!r}")
    return kept
