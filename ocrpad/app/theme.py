"""Light and dark palettes on the Fusion style, or the platform's own colours when it asks for
high contrast."""

from __future__ import annotations

from typing import Final, Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

Theme = Literal["light", "dark"]
THEMES: Final[tuple[Theme, ...]] = ("light", "dark")

_DARK: Final = {
    QPalette.ColorRole.Window: "#2b2d31",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1e1f22",
    QPalette.ColorRole.AlternateBase: "#2f3136",
    QPalette.ColorRole.Text: "#ececec",
    QPalette.ColorRole.Button: "#3a3d42",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#4f8fe6",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#3a3d42",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.PlaceholderText: "#8a8d93",
    QPalette.ColorRole.Mid: "#55585e",
    QPalette.ColorRole.Link: "#7fb0ff",
}
_LIGHT: Final = {
    QPalette.ColorRole.Window: "#f3f3f3",
    QPalette.ColorRole.WindowText: "#1d1d1f",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.Text: "#1d1d1f",
    QPalette.ColorRole.Highlight: "#2a6fdb",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.PlaceholderText: "#76767a",
}
TENTATIVE: Final = QPalette.ColorRole.PlaceholderText
"""The role of text that is said with doubt (the answer when the network is unsure): grey
beside the normal text, yet 4:1 or more on the window in both themes (WCAG asks 3:1 of large
text). Unlike the disabled colours, which need not be legible, it is meant to be read."""


def palette_for(theme: Theme) -> QPalette:
    """A full palette for the theme (Fusion's standard palette with our colours on top)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style = app.style()
    palette = QPalette(style.standardPalette())
    for role, colour in (_DARK if theme == "dark" else _LIGHT).items():
        palette.setColor(role, QColor(colour))
    disabled = QColor("#6c6f75" if theme == "dark" else "#a0a0a4")
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


_CHOSEN: Final[dict[str, Theme]] = {}  # the theme asked for, applied again when contrast changes


def high_contrast() -> bool:
    """Whether the platform asks for high contrast (Windows' contrast themes, macOS's Increase
    contrast, GNOME's High Contrast)."""
    hints = QGuiApplication.styleHints()  # held: its accessibility hints live inside it
    return hints.accessibility().contrastPreference() == Qt.ContrastPreference.HighContrast


def apply_theme(theme: Theme) -> None:
    """Switch the whole application to the theme; while the platform asks for high contrast,
    to the platform's own palette instead (the theme is kept for when it stops asking)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if not _CHOSEN:
        hints = QGuiApplication.styleHints()
        follow = hints.accessibility().contrastPreferenceChanged
        follow.connect(lambda _: apply_theme(_CHOSEN["theme"]))
    _CHOSEN["theme"] = theme
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    if high_contrast():
        app.setPalette(QPalette())  # nothing set: every role resolves to the platform's
        app.setStyleSheet(high_contrast_tools_style())
        return
    app.setPalette(palette_for(theme))
    app.setStyleSheet(checked_tools_style(theme))


def high_contrast_tools_style() -> str:
    """Tool buttons in the platform's colours only: switched on, the highlight colour with its
    text colour; with the keyboard's focus, a 2-pixel frame in the text colour."""
    return (
        "QToolButton { border: 1px solid palette(button-text); border-radius: 3px;"
        " padding: 2px 5px; }"
        ' QToolButton[popupMode="1"] { padding-right: 18px; }'
        " QToolButton:checked { background-color: palette(highlight);"
        " color: palette(highlighted-text); }"
        " QToolButton:focus { border: 2px solid palette(button-text); padding: 1px 4px; }"
        ' QToolButton[popupMode="1"]:focus { padding-right: 17px; }'
    )


def checked_tools_style(theme: Theme) -> str:
    """A switched-on tool button (Eraser, Writing guides, Heat map) filled with a tint of the
    highlight colour: Fusion shades it only a tenth darker, which vanishes in the dark theme.
    Off, a tool button has the same border and padding in the palette's colours, so that
    switching it on does not change its size (and move the buttons beside it). With the
    keyboard's focus its border is 2 pixels of the highlight colour (the style sheet hides
    Fusion's focus rectangle), its padding a pixel less: the button keeps its size."""
    fill, edge = ("#2d4a73", "#4f8fe6") if theme == "dark" else ("#d3e2fa", "#2a6fdb")
    hover, pressed = ("#46494f", "#303237") if theme == "dark" else ("#fbfbfb", "#dcdcdc")
    return (
        "QToolButton { background-color: palette(button); border: 1px solid palette(mid);"
        " border-radius: 3px; padding: 2px 5px; }"
        f" QToolButton:hover {{ background-color: {hover}; }}"
        f" QToolButton:pressed {{ background-color: {pressed}; }}"
        ' QToolButton[popupMode="1"] { padding-right: 18px; }'  # room for the menu's arrow
        " QToolButton::menu-button { border-left: 1px solid palette(mid); width: 14px; }"
        f" QToolButton:checked {{ background-color: {fill}; border-color: {edge}; }}"
        " QToolButton:focus { border: 2px solid palette(highlight); padding: 1px 4px; }"
        ' QToolButton[popupMode="1"]:focus { padding-right: 17px; }'
    )


def parse_theme(value: object) -> Theme:
    return "dark" if value == "dark" else "light"
