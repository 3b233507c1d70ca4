"""The answer beside the canvas: the character in large type, its confidence, the 28×28 input."""

from __future__ import annotations

import math
from typing import Final

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPalette, QResizeEvent
from PySide6.QtWidgets import QLabel, QLayout, QSizePolicy, QVBoxLayout, QWidget

from ocrpad.app.draw.fitted_label import FittedLabel
from ocrpad.app.draw.input_preview import InputPreview
from ocrpad.app.draw.prediction import Prediction
from ocrpad.app.draw.spoken import announce, character_name, percent, ranked, tell
from ocrpad.app.draw.why import shorter, why
from ocrpad.app.theme import TENTATIVE

NOT_SURE_BELOW: Final = 0.5  # top probability under which the panel says "not sure"
EMPTY_HINT: Final = "Draw a character to see what the network reads."
NOTHING_READ: Final = "Recognised character: none yet"
NOT_SURE: Final = "Not sure — maybe:"
CAPTION: Final = "Network input, 28×28"
WHY_NAME: Final = "Why this answer"
PANEL_WIDTH: Final = 180  # px at least: the input preview at 6 px per input pixel, and margins
PREVIEW_LEGIBLE: Final = 2 * 28 + 2  # px: the input at 2 screen pixels a pixel, and its frame
"""The big answer gives up height, down to its least, before the input is drawn smaller than
this (at one screen pixel a pixel, a large font's window showed a speck)."""
SIDE_MARGIN: Final = 4  # px left and right of the panel's column
ANSWER_MARGIN: Final = 4  # px the big answer's label has over its font's line (ascent + descent)
ANSWER_POINTS: Final = 64.0  # the big answer's font size where the window has room
WIDEST_GUESSES: Final = (("W", 0.49), ("@", 0.49), ("m", 0.49))
"""The widest line an unsure answer shows: wide characters, all with two-digit percentages.
The panel is made as wide as it, so the confidence box's two lines never wrap into three."""


def describe(prediction: Prediction) -> str:
    """The confidence line: '93% sure', or 'Not sure — maybe …' with the top 3; for a member
    of a look-alike family, the family said plainly first: 'o — or O, 0'."""
    if prediction.look_alikes:
        family = f"{prediction.label} — or {', '.join(prediction.look_alikes)}"
        return f"{family}\n{percent(prediction.confidence)} it is {prediction.label}"
    if prediction.confidence >= NOT_SURE_BELOW:
        return f"{percent(prediction.confidence)} sure"
    return f"{NOT_SURE}\n{guesses(prediction.top)}"


def guesses(top: tuple[tuple[str, float], ...]) -> str:
    """The top 3 of an unsure answer on one line: '`  7%   %  6%   ~  6%' (one a rounded
    figure would call 0% left out)."""
    shown = [(label, percent(p)) for label, p in top[:3]]
    return "   ".join(f"{label}  {said}" for label, said in shown if not said.startswith("under"))


def spoken(prediction: Prediction) -> str:
    """The answer as a screen reader says it (the character label's accessible name):
    'Recognised: capital S, 87% sure', 'Not sure: maybe small o 40%, capital O 31%, 0 20%', or
    for a look-alike family 'Recognised: small o, or capital O, 0; 87% it is small o'."""
    name = character_name(prediction.label)
    sure = prediction.confidence >= NOT_SURE_BELOW
    if prediction.look_alikes:
        family = ", ".join(character_name(c) for c in prediction.look_alikes)
        said = "Recognised" if sure else "Not sure"
        return f"{said}: {name}, or {family}; {percent(prediction.confidence)} it is {name}"
    if sure:
        return f"Recognised: {name}, {percent(prediction.confidence)} sure"
    return f"Not sure: maybe {ranked(prediction.top)}"


LIKE_SHOWN = 0.5
"""An earlier drawing at least this alike (`Reading.like_earlier`, 0 … 1) is named in the
explanation: its vote is then a large part of the likeness term."""


COARSE_SHOWN = 0.25
"""A drawing that took at least this much of the correction for coarse traces
(`Reading.coarse_trace`, 0 … 1) says so in the explanation. With the shipped correction, 84% of
the test split's drawings joined into 8 points and 95% at 6 points reach it, 32% at 12, and 0.3%
of the pen tablet's drawings as written."""


def explain(prediction: Prediction) -> str:
    """Why: what the person's earlier drawings said, and whether the drawing was read as a
    coarse trace (the confidence line's tooltip)."""
    coarse = ""
    if prediction.coarse_trace is not None and prediction.coarse_trace >= COARSE_SHOWN:
        coarse = (
            " Drawn with few points, as a mouse moved fast or another pen gives:"
            " read with the correction for such traces."
        )
    if prediction.height_ratio is None:
        if prediction.look_alikes:
            shapes = (
                "Their shapes are alike, and this drawing has no height to measure against"
                " the guides."
                if prediction.guides_shown
                else "Their shapes are alike: your size tells them apart (draw on, or show guides)."
            )
            return shapes + coarse
        return coarse.strip()
    used = prediction.history_used
    source = {0: "the guides", 1: "your last drawing"}.get(used, f"your last {used} drawings")
    line, usual = "your line", "your usual height"
    if prediction.by_guides:
        source, line, usual = "the guides", "the baseline", "the height of a small x"
    where = ""
    if prediction.below_line is not None:
        depth = prediction.below_line
        where = (
            f" and sits on {line}"
            if abs(depth) < 0.05
            else f" and ends {_times(abs(depth))} of it {'below' if depth > 0 else 'above'} {line}"
        )
    size = _times(prediction.height_ratio)
    said = f"This drawing is {size} {usual}{where} (from {source})."
    like = prediction.like_earlier
    if like is not None and like[1] >= LIKE_SHOWN:
        said += f" It looks like your earlier {like[0]}."
    return said + coarse


def _times(ratio: float) -> str:
    """A ratio as people say it: "1.3×", or "over 20×" / "under 0.05×" where a flat stroke or
    a dot in the history makes the exact figure meaningless."""
    if ratio > 20:
        return "over 20×"
    if ratio < 0.05:
        return "under 0.05×"
    return f"{ratio:.1f}×"


class PredictionPanel(QWidget):
    """predictionLabel (big character), a confidence line, a message line and inputPreview."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kept = ""  # a message to keep beside the next answer (`keep_message`)
        self.label = AnswerLabel()
        self.confidence = QLabel("")
        self.confidence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.confidence.setWordWrap(True)
        self.why = WhyLabel()
        self.message = FittedLabel()  # whole lines only, in what the answer leaves free
        self.message.say([EMPTY_HINT])
        self.preview = InputPreview()
        caption = QLabel(CAPTION)
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column = layout = QVBoxLayout(self)
        layout.setContentsMargins(SIDE_MARGIN, 0, SIDE_MARGIN, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.confidence)
        layout.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(caption)
        layout.addWidget(self._below(), 1)  # a tall window leaves no gap above the input
        self._fit_to_font()

    def _below(self) -> QWidget:
        """Why the answer, and under it the message, in the free height whatever their text,
        so that new text never relayouts the window; each is shown only while it says
        something, and the sentence shortens itself to fit (`WhyLabel`)."""
        below = QWidget()
        below.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        column = QVBoxLayout(below)
        column.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # no minimum height
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.why, 1)
        column.addWidget(self.message, 1)
        return below

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:  # also sent when the system font changes
            self._fit_to_font()
        super().changeEvent(event)

    def _fit_to_font(self) -> None:
        """Fixed sizes, so that new text never relayouts the window, measured in the font in
        use, so that a larger system font shows every line whole: the panel as wide as the
        caption and an unsure answer's lines, the confidence box two lines high, the big
        answer a line of its font high where there is room (`AnswerLabel`)."""
        metrics = self.fontMetrics()
        widest = max(
            metrics.size(0, text).width() for text in (CAPTION, NOT_SURE, guesses(WIDEST_GUESSES))
        )
        self.setFixedWidth(max(PANEL_WIDTH, widest + 2 * SIDE_MARGIN))
        self.confidence.setFixedHeight(2 * metrics.height() + 4)
        self.label.fit_to_font(self.font())
        self._fit_answer()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_answer()

    def _fit_answer(self) -> None:
        """The big answer a full line high where the panel has room for it beside the rest at
        their least and the input at PREVIEW_LEGIBLE, lower where it has not (a window at its
        least size at a large font), never over the confidence line."""
        others = self.column.minimumSize().height() - self.label.minimumHeight()
        legible = max(0, PREVIEW_LEGIBLE - self.preview.minimumSizeHint().height())
        self.label.set_height(self.height() - others - legible)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """With the big answer at its least height."""
        hint = super().minimumSizeHint()
        return QSize(hint.width(), hint.height() - self.label.height() + self.label.least_height)

    def show_prediction(self, prediction: Prediction) -> None:
        self.label.setText(prediction.label)
        unsure = prediction.confidence < NOT_SURE_BELOW
        # Greyed when unsure, yet legible (3:1 or more) and still enabled: a disabled label is
        # announced as unavailable.
        self.label.setForegroundRole(TENTATIVE if unsure else QPalette.ColorRole.WindowText)
        said = spoken(prediction)
        if said != self.label.accessibleName():
            tell(self.label, said)
            announce(self.label, said)
        self.confidence.setText(describe(prediction))
        sentences = shorter(prediction)  # the whole sentence first, then shorter ones
        whole = sentences[:1]  # also in the tooltip: a small window may have no room for it
        self.confidence.setToolTip("\n".join(t for t in (explain(prediction), *whole) if t))
        self.why.say(sentences, why(prediction, character_name))
        self._say(self._kept)
        self._kept = ""
        self.preview.set_image(prediction.input_image)

    def show_empty(self, message: str = EMPTY_HINT) -> None:
        self.label.setText("")
        tell(self.label, NOTHING_READ)
        self.confidence.setText("")
        self.confidence.setToolTip("")  # the last drawing's "why" goes with it
        self.why.say([], "")
        self._say(message)
        self._kept = ""
        self.preview.set_image(None)

    def _say(self, message: str) -> None:
        self.message.say([message] if message else [])

    def show_message(self, message: str) -> None:
        """A problem (unreadable file, no model): the answer is cleared and the reason shown."""
        self.show_empty(message)

    def keep_message(self) -> None:
        """The message shown now stays beside the next answer (then goes, as messages do)."""
        self._kept = self.message.whole_text()


class AnswerLabel(QLabel):
    """The big answer (predictionLabel), `height` high: a line of its 64-point font
    ('_' and '|' reach the line's bottom, 'É' its top) at most, half that at least, the
    character drawn smaller in less (`PredictionPanel` sets the height)."""

    def __init__(self) -> None:
        super().__init__("")
        self.setObjectName("predictionLabel")
        self.setAccessibleName(NOTHING_READ)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.full_font = QFont(self.font())
        self.full_height = self.least_height = 0
        self.fit_to_font(self.font())

    def fit_to_font(self, base: QFont) -> None:
        """The full font: `base` (the panel's) bold at ANSWER_POINTS; the heights it needs."""
        self.full_font = QFont(base)
        self.full_font.setPointSizeF(ANSWER_POINTS)
        self.full_font.setBold(True)
        self.full_height = math.ceil(QFontMetricsF(self.full_font).height()) + ANSWER_MARGIN
        self.least_height = self.full_height // 2
        self.set_height(self.full_height)

    def set_height(self, height: int) -> None:
        """`height` (within least_height … full_height), the font as much smaller as it is
        lower than a full line."""
        height = max(self.least_height, min(self.full_height, height))
        scale = (height - ANSWER_MARGIN) / (self.full_height - ANSWER_MARGIN)
        font = QFont(self.full_font)
        font.setPointSizeF(ANSWER_POINTS * scale)
        if font != self.font():
            self.setFont(font)
        if height != self.height() or height != self.minimumHeight():
            self.setFixedHeight(height)


class WhyLabel(FittedLabel):
    """Why the answer and not the runner-up (`why.why`), in the panel's free height: the
    longest of its sentences that fits (`why.shorter`), the whole one in its tooltip and for
    screen readers, who hear it with characters by name. Tab reaches it while it says
    something."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("whyLabel")
        self.setAccessibleName(WHY_NAME)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # (after the flags, which set their own)
        self.hide()
