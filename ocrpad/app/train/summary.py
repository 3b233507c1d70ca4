"""What the Fine-tune column says before a start: how many drawings are ready, whether some
are held back to measure the change (``finetune_data.held_back_count``'s rule), how long it
will take."""

from __future__ import annotations

from collections.abc import Mapping

from ocrpad.app.words import plural
from ocrpad.learning.finetune_data import MIN_TO_HOLD_BACK, held_back_count
from ocrpad.learning.finetune_plan import DEFAULT_SETTINGS

NOTHING_YET = "Collect some drawings first (left), then fine-tune."


def unreadable_text(held: int) -> str:
    """The saved drawings cannot be read now; `held` drawings wait in memory."""
    kept = f" ({plural(held, 'drawing')} kept in memory)" if held else ""
    return (
        f"Your saved drawings cannot be read right now{kept}; ocrpad keeps trying. "
        "Fine-tune once they can, so that it learns from all of them."
    )


def measure_text(counts: Mapping[str, int], fraction: float = DEFAULT_SETTINGS.held_out) -> str:
    """Whether the fine-tune can measure the change, for `counts` drawings of each character:
    only characters with ``MIN_TO_HOLD_BACK`` drawings or more have some held back."""
    measured = [n for n in counts.values() if held_back_count(n, fraction) > 0]
    if not measured:
        return (
            "Too few to measure the change: no before/after check is possible until a "
            f"character has at least {MIN_TO_HOLD_BACK} drawings (some are then held back)."
        )
    if len(measured) == len(counts):
        return "About a fifth of each character's drawings are held back to measure the change."
    return (
        "About a fifth of the drawings of each character with at least "
        f"{MIN_TO_HOLD_BACK} are held back to measure the change; the others are not measured."
    )


def summary_text(counts: Mapping[str, int], duration: str) -> str:
    """The summary for `counts` drawings of each character and the expected `duration`."""
    n = sum(counts.values())
    if not n:
        return NOTHING_YET
    ready = f"{plural(n, 'drawing')} of {plural(len(counts), 'character')} ready."
    return f"{ready} {measure_text(counts)} {duration}"
