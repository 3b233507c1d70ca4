"""Why the answer and not the runner-up: the short sentence under the answer on the Draw tab.

It is said only when the choice needs saying: the answer and the runner-up are look-alikes
(S and s, O and 0), or the drawing's shape alone made the runner-up likelier and the rest of
the reading (the person's earlier drawings, the guides) moved the answer. It names the parts
of the reading that pushed by a meaningful amount (`Prediction.reasons`: each part's share of
log(p_answer / p_runner_up)), in the words a person would use for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ocrpad.app.draw.prediction import Prediction

MEANINGFUL: Final = 0.3
"""A part is named when its share of the log odds is at least this large (either way): it
alone would change the odds of the two by a third (e^0.3 ≈ 1.35)."""
NAMED_AT_MOST: Final = 3
"""The parts for the answer named at most, largest first: a sentence, not a report."""
AGAINST: Final = {
    "shape": "its shape",
    "trace": "the way it was drawn",
    "coarse": "the correction for traces of few points",
    "size": "its size",
    "mix": "the mix of your earlier drawings",
    "place": "where it sits against the line",
    "likeness": "your earlier drawings like it",
}
"""Each part as the sentence names it when it pushed towards the runner-up (the prior has a
sentence of its own)."""

Namer = Callable[[str], str]


def why(
    prediction: Prediction, name: Namer = str, *, most: int = NAMED_AT_MOST, against: bool = True
) -> str:
    """'S, not s: your earlier drawings lean to capitals rather than small letters. By its
    shape alone it is more like s.' — or '' when the choice needs no saying or no part moved
    it much. `name` writes a character (`spoken.character_name` for a screen reader); `most`:
    how many parts for the answer to name at most; `against`: name the parts against it."""
    runner = prediction.runner_up
    if runner is None or not prediction.reasons:
        return ""
    shape = dict(prediction.reasons).get("shape", 0.0)
    if runner not in prediction.look_alikes and shape >= 0:
        return ""  # the shape chose it, and the two are not alike: nothing to explain
    pushed = [part for part, value in prediction.reasons if value >= MEANINGFUL]
    if not pushed:
        return ""  # many small things, none worth naming
    answer, other = name(prediction.label), name(runner)
    clauses = [_clause(part, prediction, answer) for part in pushed[:most]]
    said = f"{answer}, not {other}: {'; '.join(clauses)}."
    opposed = [part for part, value in prediction.reasons if value <= -MEANINGFUL]
    if against and any(part != "prior" for part in opposed):
        named = [AGAINST[part] for part in opposed if part != "prior"]
        said += f" By {_joined(named)} alone it is more like {other}."
    if against and "prior" in opposed:
        said += f" In general, {other} is the more usual of the two."
    return said


def shorter(prediction: Prediction) -> list[str]:
    """The sentence, then shorter ones for a small window (the strongest part only, then
    without what spoke against it), each different; [] when there is nothing to say."""
    said = [why(prediction), why(prediction, most=1), why(prediction, most=1, against=False)]
    return [text for index, text in enumerate(said) if text and text not in said[:index]]


def _clause(part: str, prediction: Prediction, answer: str) -> str:
    """What `part` said for the answer, as a clause."""
    line = "the baseline" if prediction.by_guides else "your line"
    if part == "shape":
        return f"its shape is more like {answer}"
    if part == "trace":
        return (
            f"the way it was drawn, the order and direction of its strokes, is more like {answer}"
        )
    if part == "size":
        against = "the guides" if prediction.by_guides else "your other drawings"
        return f"its size against {against} suits {answer} better"
    if part == "mix":
        mine, theirs = _group(prediction.label), _group(str(prediction.runner_up))
        if mine != theirs:
            return f"your earlier drawings lean to {mine} rather than {theirs}"
        return f"the mix of your earlier drawings suits {answer} better"
    if part == "place":
        return f"where its top and bottom sit against {line} suits {answer} better"
    if part == "likeness":
        like = prediction.like_earlier
        if like is not None and like[0] == prediction.label:
            return f"it is like your earlier {answer}"
        return f"your earlier drawings shaped like it were more often {answer}"
    if part == "coarse":
        return f"it has few points, and the correction for such traces favours {answer}"
    return f"{answer} is the more usual of the two"  # the prior


def _group(label: str) -> str:
    """The kind of character a label is, plural: 'capitals', 'small letters', 'digits'."""
    if label.isdigit():
        return "digits"
    if label.isupper():
        return "capitals"
    return "small letters" if label.islower() else "symbols"


def _joined(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
