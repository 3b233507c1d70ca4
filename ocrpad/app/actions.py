"""The window's actions (menus, shortcuts, tool buttons), built in one place."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Protocol

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar

from ocrpad.app.draw.tab import DrawTab
from ocrpad.app.theme import Theme


class ActionHost(Protocol):
    """What the actions need of the window (``MainWindow`` provides it).

    A protocol, not the class, so that this module and the main window do not import each other.
    """

    draw: DrawTab

    def addAction(self, action: QAction, /) -> None: ...  # noqa: N802  (Qt's name)
    def menuBar(self) -> QMenuBar: ...  # noqa: N802  (Qt's name)
    def close(self) -> bool: ...
    def choose_image(self) -> None: ...
    def copy_character(self) -> None: ...
    def set_theme(self, theme: Theme) -> None: ...
    def set_guides(self, on: bool) -> None: ...
    def show_about(self) -> None: ...


def _action(
    window: ActionHost,
    text: str,
    slot: Callable[[], object],
    shortcuts: Sequence[str] = (),
    tip: str = "",
) -> QAction:
    action = QAction(text)  # kept alive by the window's actions_by_name
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
    action.setStatusTip(tip)
    name = text.replace("&", "").rstrip("…")
    keys = f" ({action.shortcut().toString()})" if shortcuts else ""
    action.setToolTip(_tool_tip(name, keys, tip))
    action.triggered.connect(slot)
    window.addAction(action)
    return action


DRAW_TAB_ONLY: Final = ("undo", "redo", "clear", "copy", "eraser", "thinner", "thicker", "guides")
"""Actions that act on the Draw tab's canvas and answer: off while another tab is shown, so a
shortcut pressed there never changes a drawing the person cannot see."""


def build_actions(window: ActionHost) -> dict[str, QAction]:
    """Create the actions, the menus and the Draw tab's tool buttons; returns them by name."""
    canvas = window.draw.canvas
    acts = {
        "open": _action(
            window,
            "&Open image…",
            window.choose_image,
            ["Ctrl+O"],
            "Recognise a picture of one character (PNG, JPG, GIF, TIFF…), or drop one here",
        ),
        "quit": _action(window, "&Quit", window.close, ["Ctrl+Q"]),
        "undo": _action(window, "&Undo", canvas.undo, ["Ctrl+Z"], "Undo the last stroke"),
        "redo": _action(
            window, "&Redo", canvas.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo what was undone"
        ),
        "clear": _action(
            window, "&Clear", canvas.clear, [], "Clear the canvas (Escape or Delete on the canvas)"
        ),
        "copy": _action(
            window,
            "&Copy character",
            window.copy_character,
            ["Ctrl+C"],
            "Copy the recognised character",
        ),
        "eraser": _action(
            window, "&Eraser", lambda: None, ["E"], "Erase whole strokes by touching them"
        ),
        "thinner": _action(window, "&Thinner pen", lambda: _nudge(window, -2), ["["]),
        "thicker": _action(window, "T&hicker pen", lambda: _nudge(window, +2), ["]"]),
        "dark": _action(window, "&Dark theme", lambda: None, ["Ctrl+Shift+D"]),
        "guides": _action(
            window,
            "&Writing guides",
            lambda: None,
            ["G"],
            "Baseline, x-height and cap lines: the reader takes your size from them",
        ),
        "about": _action(window, "&About ocrpad", window.show_about, ["F1"]),
    }
    acts["eraser"].setCheckable(True)
    acts["eraser"].toggled.connect(canvas.set_eraser)
    acts["dark"].setCheckable(True)
    acts["dark"].triggered.connect(lambda on: window.set_theme("dark" if on else "light"))
    acts["guides"].setCheckable(True)
    acts["guides"].toggled.connect(window.set_guides)
    _menus(window, acts)
    for name in ("undo", "redo", "clear", "eraser", "guides"):
        window.draw.add_tool(acts[name])
    window.draw.add_tool(acts["open"], editing=False)
    return acts


def _menus(window: ActionHost, acts: dict[str, QAction]) -> None:
    bar = window.menuBar()
    layout: dict[str, list[str | None]] = {
        "&File": ["open", None, "quit"],
        "&Edit": ["undo", "redo", "clear", None, "copy", None, "eraser", "thinner", "thicker"],
        "&View": ["guides", None, "dark"],
        "&Help": ["about"],
    }
    for title, names in layout.items():
        menu = bar.addMenu(title)
        menu.setObjectName(f"{title.strip('&').lower()}Menu")  # e.g. viewMenu
        for name in names:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(acts[name])


def _tool_tip(name: str, keys: str, tip: str) -> str:
    """What an action does, with its shortcut: "Eraser (E) — Erase whole strokes by
    touching them", but "Undo the last stroke (Ctrl+Z)" where the tip begins with the name's
    verb (not "Undo (Ctrl+Z) — Undo the last stroke")."""
    if not tip:
        return f"{name}{keys}"
    if tip.split()[0].lower() == name.split()[0].lower():
        return f"{tip}{keys}"
    return f"{name}{keys} — {tip}"


def _nudge(window: ActionHost, step: int) -> None:
    slider = window.draw.pen_width
    slider.setValue(slider.value() + step)
