"""The heat-map methods, and the Heat map button that switches the map on and chooses one."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from ocrpad.explain.attribution import Method

METHOD_NAMES: Final[dict[Method, str]] = {  # the first is the default
    "occlusion": "Occlusion",  # the clearest on the shipped model; ~20 ms a map
    "layercam": "LayerCAM",
    "gradcam": "Grad-CAM",
    "saliency": "Saliency",
    "grad_x_input": "Gradient × input",
}
METHOD_HELP: Final[dict[Method, str]] = {
    "occlusion": "Hides each patch of the input in turn: the orange is where hiding it "
    "lowers the class's score most. Slow but plain.",
    "layercam": "Multiplies a middle layer's maps by their gradient, place by place: where "
    "that layer's evidence for the class sits. Coarse (14×14).",
    "gradcam": "Weighs whole channels of a middle layer by their mean gradient. A channel "
    "that also fires on blank paper colours the paper too, so it reads the deepest layer "
    "whose map falls on the drawing. Coarse, and it can differ from occlusion and LayerCAM.",
    "saliency": "How fast the score changes with each pixel: fine-grained and noisy, and it "
    "also marks blank pixels where ink would change the answer.",
    "grad_x_input": "Saliency times the ink: each drawn pixel's share of the score.",
}


class HeatmapButton(QToolButton):
    """'Heat map' (checkable) with the methods in its drop-down arrow's menu, which opens from
    the keyboard too: Down, Alt+Down or F4, as a combo box's list does.

    ``method_actions`` are checkable and exclusive; ``view_menu`` puts the same actions (and
    a "Show heat map" entry that follows the button) in the window's View menu.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("heatmapToggle")
        self.setText("Heat &map")
        self.setCheckable(True)
        self.setToolTip(
            "Colour the pixels that made the network choose the class (Down or F4: choose how)"
        )
        menu = QMenu(self)
        self.method_group = QActionGroup(menu)
        self.method_actions: dict[Method, QAction] = {}
        for key, name in METHOD_NAMES.items():
            action = menu.addAction(name)
            action.setToolTip(METHOD_HELP[key])
            action.setStatusTip(METHOD_HELP[key])
            action.setCheckable(True)
            action.setData(key)
            self.method_group.addAction(action)
            self.method_actions[key] = action
        next(iter(self.method_actions.values())).setChecked(True)
        menu.setToolTipsVisible(True)
        self.setMenu(menu)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)

    def current_method(self) -> Method:
        return next(k for k, action in self.method_actions.items() if action.isChecked())

    def view_menu(self, parent: QWidget) -> QMenu:
        """A "Heat map" menu for the menu bar: on/off and the methods, the button's own."""
        menu = QMenu("Heat &map", parent)
        menu.setObjectName("heatmapMenu")
        show = menu.addAction("&Show heat map")
        show.setCheckable(True)
        show.setChecked(self.isChecked())
        show.toggled.connect(self.setChecked)
        self.toggled.connect(show.setChecked)
        menu.addSeparator()
        menu.addActions(list(self.method_actions.values()))
        menu.setToolTipsVisible(True)
        return menu

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_F4) and self.menu() is not None:
            self.showMenu()
            return
        super().keyPressEvent(event)
