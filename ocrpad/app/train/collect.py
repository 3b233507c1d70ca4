"""Collecting drawings: a prompt mode ("Draw: g", N of each chosen character) and free
labelling (type any character), on one canvas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ocrpad.app.draw.canvas import Canvas
from ocrpad.app.draw.strokes import Drawing
from ocrpad.app.train.short_texts import ShortWhenNarrowRadio
from ocrpad.app.train.tips import named
from ocrpad.data.samples_format import label_text, validate_label

SaveFn = Callable[[Drawing, str, str], bool]  # (strokes, label, source) -> saved?
DEFAULT_PROMPT: Final = "0123456789"
HOW_MANY_OF_EACH: Final = "How many of each character"  # the number's name where "each" goes
FREE_MODE: Final = "I'll type the la&bel"  # "Type the label" where the column is narrow
PROMPT_BOX_PADDING: Final = 16  # px a line edit keeps around its text: frame and margins


def prompt_sequence(characters: str, repeats: int) -> list[str]:
    """Round-robin order: every character once, then again, ``repeats`` times (no duplicates).
    The text is written as labels are first (``label_text``: "e" + a combining accent is "é",
    one prompt; an emoji's variation selector goes), and what cannot be a label on its own —
    spaces, a leftover combining mark — is no prompt."""
    unique = list(dict.fromkeys(c for c in label_text(characters) if _is_label(c)))
    return unique * max(0, repeats)


def _is_label(character: str) -> bool:
    try:
        validate_label(character)
    except ValueError:
        return False
    return True


class CollectPanel(QWidget):
    """A canvas plus the two ways of labelling what is drawn on it."""

    message = Signal(str)

    def __init__(self, save: SaveFn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("collectPanel")
        self._save = save
        self.queue: list[str] = []
        self.position = 0
        self.canvas = named(Canvas(), "collectCanvas")  # "canvas" is the Draw tab's alone
        self.canvas.setMinimumSize(160, 160)
        self.prompt_mode = named(QRadioButton("&Prompt me"), "promptMode")
        self.free_mode = named(ShortWhenNarrowRadio(FREE_MODE, "Type the la&bel"), "freeMode")
        self.prompt_chars = named(QLineEdit(DEFAULT_PROMPT), "promptChars")
        self.prompt_repeats = named(QSpinBox(), "promptRepeats")
        self.prompt_repeats.setRange(1, 50)
        self.prompt_repeats.setValue(3)
        self.start_button = named(QPushButton("St&art"), "startPrompts")
        self.prompt_label = named(QLabel(), "promptLabel")
        self.progress_label = named(QLabel(), "promptProgress")
        self.free_label = named(QLineEdit(), "freeLabel")
        self.free_label.setPlaceholderText("the character, e.g. g, ?, é, Σ")
        self.save_button = named(QPushButton("&Save  ⏎"), "saveButton")
        self.skip_button = named(QPushButton("S&kip"), "skipButton")
        self.clear_button = named(QPushButton("&Clear"), "clearButton")
        self.each = QLabel("each")  # beside the number, where the column has room for it
        self.each.setMinimumWidth(1)  # not counted in the column's least width: it moves
        self._build()
        self._connect()
        self.prompt_mode.setChecked(True)
        self.restart_prompts()
        self._fit_to_font()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:  # also sent when the system font changes
            self._fit_to_font()
        super().changeEvent(event)

    def _fit_to_font(self) -> None:
        """The Practise box shows the default prompt whole: where the column is too narrow
        for it beside its label, the form puts it under the label."""
        prompt = self.fontMetrics().horizontalAdvance(DEFAULT_PROMPT)
        self.prompt_chars.setMinimumWidth(prompt + PROMPT_BOX_PADDING)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_how_many()

    def _fit_how_many(self) -> None:
        """Where the column is too narrow for the number, "each" and Start on one line even
        under their label (a large font in a small window), "each" goes: the number's
        tooltip and accessible name then say "How many of each character"."""
        row = (self.prompt_repeats, self.each, self.start_button)
        line = sum(w.sizeHint().width() for w in row) + 2 * self._repeat_row.spacing()
        room = line + self._form.horizontalSpacing() <= self.width()
        if room == self.each.isHidden():
            self.each.setVisible(room)
            said = "" if room else HOW_MANY_OF_EACH  # "": its label's name, "How many"
            self.prompt_repeats.setToolTip(said)
            self.prompt_repeats.setAccessibleName(said)
            self._form.invalidate()  # its cached least width is that of the other line

    def _build(self) -> None:
        modes = QButtonGroup(self)
        modes.addButton(self.prompt_mode)
        modes.addButton(self.free_mode)
        modes_column = QVBoxLayout()  # one above the other: the column stays narrow
        for mode in (self.prompt_mode, self.free_mode):  # each as wide as its words
            modes_column.addWidget(mode, 0, Qt.AlignmentFlag.AlignLeft)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: field below
        form.addRow("Practise:", self.prompt_chars)
        self._repeat_row = repeat_row = QHBoxLayout()
        repeat_row.addWidget(self.prompt_repeats)
        repeat_row.addWidget(self.each)
        repeat_row.addWidget(self.start_button)
        how_many = QLabel("How many:")  # "Draw:" is the prompt's word below
        how_many.setBuddy(self.prompt_repeats)  # names the spin box for a screen reader
        self._form = form
        form.addRow(how_many, repeat_row)
        form.addRow("Label:", self.free_label)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self._prompt_font = font
        self.prompt_label.setFont(font)
        self.prompt_label.setWordWrap(True)  # a long prompt wraps, never widens the column
        self.prompt_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.prompt_label.setMinimumHeight(2 * QFontMetrics(font).height())  # two lines, fixed
        buttons = QGridLayout()  # Save above the other two: the column stays narrow
        buttons.addWidget(self.save_button, 0, 0, 1, 2)
        buttons.addWidget(self.skip_button, 1, 0)
        buttons.addWidget(self.clear_button, 1, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(modes_column)
        column.addLayout(form)
        column.addWidget(self.prompt_label)
        column.addWidget(self.progress_label)
        column.addWidget(self.canvas, 1)
        column.addLayout(buttons)

    def _connect(self) -> None:
        self.prompt_mode.toggled.connect(self._show_mode)
        self.start_button.clicked.connect(self.restart_prompts)
        self.prompt_chars.returnPressed.connect(self.restart_prompts)
        self.free_label.returnPressed.connect(self.save)
        self.save_button.clicked.connect(self.save)
        self.skip_button.clicked.connect(self.skip)
        self.clear_button.clicked.connect(self.canvas.clear)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.canvas)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.save)
        # this drawing area's own Undo and Redo (the window's act on the Draw tab only), from
        # anywhere in the panel: a button or mode just used; a text field keeps its own
        steps = {"Ctrl+Z": self.canvas.undo, "Ctrl+Shift+Z": self.canvas.redo}
        for keys, step in {**steps, "Ctrl+Y": self.canvas.redo}.items():
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(step)

    # -- modes ---------------------------------------------------------------------------
    @property
    def prompting(self) -> bool:
        return self.prompt_mode.isChecked()

    def _show_mode(self) -> None:
        for widget in (self.prompt_chars, self.prompt_repeats, self.start_button):
            widget.setEnabled(self.prompting)
        self.skip_button.setEnabled(self.prompting)
        self.free_label.setEnabled(not self.prompting)
        self._update_prompt()
        if not self.prompting:
            self.free_label.setFocus()

    def restart_prompts(self) -> None:
        self.queue = prompt_sequence(self.prompt_chars.text(), self.prompt_repeats.value())
        self.position = 0
        self._show_mode()
        self.canvas.setFocus()

    def current_prompt(self) -> str | None:
        return self.queue[self.position] if self.position < len(self.queue) else None

    def _update_prompt(self) -> None:
        if not self.prompting:
            self.prompt_label.setFont(self.font())  # an instruction, not a prompt to shout
            self.prompt_label.setText("Draw any character, type it under Label, press Enter.")
            self.progress_label.setText("")
            self.canvas.set_hint("Draw any character here")
            return
        self.prompt_label.setFont(self._prompt_font)
        prompt = self.current_prompt()
        if not self.queue:
            self.prompt_label.setText("Type the characters to practise above")
        elif prompt is None:
            self.prompt_label.setText("All done — thank you!")
        else:
            self.prompt_label.setText(f"Draw:  {prompt}")
        self.canvas.set_hint(
            "Draw any character here" if prompt is None else f"Draw “{prompt}” here"
        )
        self.progress_label.setText(f"{self.position} / {len(self.queue)} done")
        self.save_button.setEnabled(prompt is not None)

    # -- actions -------------------------------------------------------------------------
    def save(self) -> bool:
        """Save the drawing with the prompt (or typed) label; on success the canvas starts
        afresh, with no Undo to bring the saved drawing back (Delete in the browser takes it)."""
        strokes = self.canvas.strokes()
        if not strokes:
            self.message.emit("Draw the character first, then save it")
            return False
        if self.prompting:
            label = self.current_prompt()
            if label is None:
                self._ask_for_prompts()
                return False
        else:
            label = self.free_label.text().strip()
            if not label:
                self.message.emit("Type the character this drawing shows")
                self.free_label.setFocus()
                return False
        if not self._save(strokes, label, "prompt" if self.prompting else "free"):
            return False
        self.canvas.start_afresh()  # Ctrl+Z then brought it back, to be saved twice
        if self.prompting:
            self.position += 1
        self._update_prompt()
        self.canvas.setFocus()
        return True

    def _ask_for_prompts(self) -> None:
        """No prompt to save under (none given, or all done): say what to do, from the
        Practise field, where Enter starts the prompts (the Label field is off in this mode)."""
        if self.queue:
            self.message.emit(
                "All done. Press Enter to practise these characters again (or change them"
                " first), or choose “I'll type the label” to name this drawing yourself"
            )
        else:
            self.message.emit("Type the characters to practise, then press Enter")
        self.prompt_chars.setFocus()

    def skip(self) -> None:
        if self.prompting and self.current_prompt() is not None:
            self.position += 1
            self.canvas.clear()
            self._update_prompt()
