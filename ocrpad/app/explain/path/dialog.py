"""The trace network opened: the pen's path as it reads it, every unit of its four layers for
this drawing, and the arithmetic of the unit chosen (a click on a cell, or Enter on the framed
one; "Strongest input" goes down to the input that added most, and for fc1 rings the point
on the path it describes)."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ocrpad.app.draw.spoken import announce, tell
from ocrpad.app.explain.path.picture import PathPicture
from ocrpad.app.explain.path.unit_grid import UnitGrid
from ocrpad.explain.neuron_text import SHOWN_TERMS, factor, number, terms_line
from ocrpad.explain.path_units import LAYERS, PathTracer, PathUnit, input_point
from ocrpad.reading.scoring import percent
from ocrpad.reading.trace import TRACE_POINTS

EMPTY: Final = "Draw a character to see how the trace network reads its path."
SHOWN_INPUTS: Final = 8  # the contributions listed under the arithmetic
GRIDS: Final = {"fc1": (64, 7), "fc2": (64, 7), "fc3": (64, 7), "out": (32, 15)}
"""Columns and cell size of each layer's grid."""


class PathNetworkDialog(QDialog):
    """`show_tracer(tracer)` for each drawing (None and a `message` when there is nothing to
    show); `open_unit(layer, index)` shows one unit's arithmetic."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pathNetworkView")
        self.setWindowTitle("The pen's path network")
        self.setAccessibleName("How the trace network read the pen's path")
        self.tracer: PathTracer | None = None
        self.unit: PathUnit | None = None
        self.intro = QLabel()
        self.intro.setObjectName("pathIntro")
        self.intro.setWordWrap(True)
        self.picture = PathPicture()
        self.grids = {name: UnitGrid(name, *GRIDS[name]) for name in LAYERS}
        layers = QGridLayout()
        for row, name in enumerate(LAYERS):
            caption = QLabel(name)
            caption.setBuddy(self.grids[name])
            layers.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
            layers.addWidget(self.grids[name], row, 1, Qt.AlignmentFlag.AlignLeft)
            self.grids[name].unit_opened.connect(lambda index, n=name: self.open_unit(n, index))
        self.title = QLabel()
        self.title.setObjectName("pathUnitTitle")
        self.title.setWordWrap(True)
        self.line = QLabel()
        self.line.setObjectName("pathUnitArithmetic")
        self.line.setWordWrap(True)
        self.line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.inputs = QLabel()
        self.inputs.setObjectName("pathUnitInputs")
        self.inputs.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.down = QPushButton("&Strongest input")
        self.down.setObjectName("pathStrongest")
        self.down.setToolTip("Go to the input that added the most to this unit")
        self.down.clicked.connect(self.step_down)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        top = QHBoxLayout()
        top.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(layers, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.down)
        buttons.addStretch(1)
        buttons.addWidget(close)
        column = QVBoxLayout(self)
        for part in (self.intro, top, self.title, self.line, self.inputs, buttons):
            if isinstance(part, QWidget):
                column.addWidget(part)
            else:
                column.addLayout(part)
        self.show_tracer(None, EMPTY)

    def show_tracer(
        self, tracer: PathTracer | None, message: str = "", lifted: NDArray[np.bool_] | None = None
    ) -> None:
        """The network's units for a new drawing (`lifted`: its path's steps that are pen-up
        moves, `lifted_steps`); the unit shown stays shown (the answer's output unit at
        first)."""
        self.tracer = tracer
        self.picture.set_path(None if tracer is None else tracer.path, lifted)
        for name, grid in self.grids.items():
            if tracer is None:
                grid.set_values(grid.values[:0])
            else:
                labels = tracer.trace.labels if name == "out" else ()
                grid.set_values(tracer.shown(name), labels)
        self.down.setEnabled(tracer is not None)
        if tracer is None:
            self.unit = None
            self.intro.setText(message)
            for label in (self.title, self.line, self.inputs):
                label.clear()
            return
        weight = number(tracer.trace.weight)
        self.intro.setText(
            "The trace network reads how the drawing was drawn: the strokes joined in the "
            f"order they were drawn, {TRACE_POINTS} points along them (ringed: where "
            "the pen started; dashed: moves with the pen lifted, which it reads as ink) with "
            "the direction at each. Its log-probabilities, times "
            f"{weight}, are added to the picture network's. Click a unit to see its arithmetic."
        )
        layer, index = ("out", tracer.strongest_unit("out"))
        if self.unit is not None and self.unit.index < dict(tracer.sizes())[self.unit.layer]:
            layer, index = self.unit.layer, self.unit.index  # (another model's may be smaller)
        self.open_unit(layer, index)

    def open_unit(self, layer: str, index: int) -> None:
        if self.tracer is None:
            return
        unit = self.tracer.unit(layer, index)
        self.unit = unit
        for name, grid in self.grids.items():
            grid.opened = index if name == layer else None
            grid.update()
        self.title.setText(unit_title(unit, self.tracer.sizes()[LAYERS.index(layer)][1]))
        self.line.setText(arithmetic(unit))
        self.inputs.setText(inputs_text(unit))
        marks = (
            ()
            if unit.below is not None
            else tuple(sorted({input_point(c.index) for c in unit.contributions[:SHOWN_INPUTS]}))
        )
        self.picture.set_marked(marks)
        tell(self.title, description=self.line.text())
        announce(self, self.title.text())

    def step_down(self) -> None:
        """To the strongest input of the unit shown: a unit of the layer below, or for fc1 the
        path number, whose point is ringed."""
        unit = self.unit
        if unit is None or self.tracer is None:
            return
        if unit.below is None:
            self.picture.set_marked((input_point(unit.strongest),))
            return
        self.open_unit(unit.below, unit.strongest)


def unit_title(unit: PathUnit, count: int) -> str:
    """ "fc2, unit 38 of 512: 1.87, after ReLU 1.87" / the output's class and what it adds."""
    if unit.layer == "out":
        assert unit.probability is not None and unit.added is not None
        return (
            f"out, unit {unit.index + 1} of {count} ({unit.label}): {number(unit.value)}. The "
            f"trace network gives {unit.label} {percent(unit.probability)}; the reader adds "
            f"{number(unit.added)} to the picture network's logit for {unit.label}."
        )
    relu = number(unit.after_relu or 0.0)
    return (
        f"{unit.layer}, unit {unit.index + 1} of {count}: {number(unit.value)}, after ReLU {relu}"
    )


def arithmetic(unit: PathUnit) -> str:
    """ "input·weight + … 510 more + bias b = total → ReLU v"."""
    pairs = [(c.input, c.weight) for c in unit.contributions[:SHOWN_TERMS]]
    count = len(unit.contributions) + unit.rest_count
    line = terms_line(pairs, count, unit.bias, unit.total)
    return line if unit.after_relu is None else f"{line} → ReLU {number(unit.after_relu)}"


def inputs_text(unit: PathUnit) -> str:
    """The inputs that added most, one a line: "x at point 7: 0.42 × 0.91 = 0.38"."""
    lines = [
        f"{unit.input_name(c.index)}: {number(c.input)} × {factor(c.weight)} = {number(c.product)}"
        for c in unit.contributions[:SHOWN_INPUTS]
    ]
    others = len(unit.contributions) - SHOWN_INPUTS + unit.rest_count
    rest = unit.rest + sum(c.product for c in unit.contributions[SHOWN_INPUTS:])
    lines.append(f"the other {others} inputs together: {number(rest)}")
    return "\n".join(lines)
