"""How a map, filter or unit is numbered wherever a person reads it.

The feature-map viewer's enlarged map says "map 4 of 32": maps are counted from 1, as a
person counts. Everything else a person reads (the neuron panel's "f4 (6, 14)", its maps and
units, the Train tab's filters) uses the same numbers, so one filter has one number. The
code counts from 0; only the text adds 1. Rows and columns are positions, not counts: they
stay 0-based like the input's pixel coordinates.

A shown value is written with a real minus sign (U+2212), as the neuron panel writes its
arithmetic: "−6.49", not the hyphen "-6.49".
"""

from __future__ import annotations

from typing import Final

FIRST: Final = 1  # the number of the first map, filter or unit
MINUS: Final = "\u2212"


def shown_number(index: int) -> int:
    """The number a person reads for the map, filter or unit at 0-based `index`."""
    return index + FIRST


def shown_value(value: float, form: str = "3g") -> str:
    """`value` in the format `form` ("3g": 3 significant digits), with real minus signs."""
    return format(value, f".{form}").replace("-", MINUS)
