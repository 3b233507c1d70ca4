"""The neuron panel (objectName ``neuronView``): how one number of a feature map was made.

It shows what the neuron worker traced: the arithmetic as one line, the receptive field on
the 28×28 input, the map below with the patch or window it read, the patch, kernel and
products as heat grids (pool: the window; dense: the strongest contributions), arrows to
step down to the strongest input, and the architecture strip with the neuron's path.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ocrpad.app.draw.numbering import shown_number
from ocrpad.app.explain.neuron.grids import HeatGrid, MarkedMap
from ocrpad.app.explain.neuron.strip import ArchitectureStrip, unit_text
from ocrpad.explain.neuron_text import fixed, sum_decimals, sum_line
from ocrpad.explain.neuron_trace import NeuronTrace, Unit
from ocrpad.explain.neuron_view import NeuronView
from ocrpad.reading.scoring import percent

SHOWN_CHANNELS = 16  # input channels of a conv shown as tiles, strongest first
WIDTH, HEIGHT = 1100, 720  # the panel's size where the screen has room (numbers in cells)


def _minus(text: str) -> str:
    return text.replace("-", "\u2212")


class NeuronPanel(QDialog):
    """show_view() with each traced unit; emits what the user asks for next."""

    down_clicked = Signal()
    back_clicked = Signal()
    unit_clicked = Signal(object)  # Unit, from the architecture strip

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("neuronView")
        self.setWindowTitle("Neuron")
        self.setAccessibleName("How the chosen neuron's value was computed")
        self.view: NeuronView | None = None
        self.labels: list[str] = []  # the model's classes, to name the output layer's units
        self.chart: dict[str, float] = {}  # what the chart shows for this drawing, by class
        self.title = QLabel()
        self.title.setObjectName("neuronTitle")
        self.title.setWordWrap(True)
        self.line = QLabel()
        self.line.setObjectName("neuronChain")
        self.line.setWordWrap(True)
        self.line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.softmax = QLabel()  # an output unit: its softmax and the chart's share
        self.softmax.setObjectName("neuronSoftmax")
        self.softmax.setWordWrap(True)
        self.input_map = MarkedMap("Input (receptive field)", grey=True)
        self.input_map.setObjectName("neuronInput")
        self.below_map = MarkedMap("Layer below")
        self.below_map.setObjectName("neuronBelow")
        self.patch = HeatGrid("Patch read")
        self.kernel = HeatGrid("Kernel")
        self.products = HeatGrid("Products")
        self.sum = QLabel()
        self.sum.setObjectName("neuronSum")
        self.sum.setWordWrap(True)  # a long sum never widens the panel past its window
        self.sum.setToolTip("The products of every channel added up, then the bias")
        self.contributions = QLabel()
        self.contributions.setObjectName("neuronContributions")
        self.back = QPushButton("▲ &Back")
        self.back.setObjectName("neuronBack")
        self.down = QPushButton("▼ &Strongest input")
        self.down.setObjectName("neuronDown")
        self.down.setToolTip("Step to the input in the layer below that added the most")
        self.where = QLabel()
        self.path_network = QPushButton("The pen's path &network…")
        self.path_network.setObjectName("neuronPathNetwork")
        self.path_network.setToolTip(
            "The reader's other network, which reads how the drawing was drawn: its units"
        )
        self.path_network.clicked.connect(self._open_path_network)
        self.strip = ArchitectureStrip()
        self.back.clicked.connect(self.back_clicked)
        self.down.clicked.connect(self.down_clicked)
        self.strip.unit_clicked.connect(self.unit_clicked)
        self.scroller = QScrollArea()
        self.scroller.setObjectName("neuronScroller")
        self.scroller.setAccessibleName("The neuron's arithmetic, maps and layers")
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self._build()
        self._sized = False  # sized to its screen when first shown (built hidden at start)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        if not self._sized:
            self._sized = True
            room = self.screen().availableGeometry().size() * 0.9  # fits a small screen too
            self.resize(min(WIDTH, room.width()), min(HEIGHT, room.height()))
        super().showEvent(event)
        # the first focus: the step down the trace, or the layers where there is none (the
        # input), not the scrolling area around them, which is unnamed and does nothing
        first = self.down if self.down.isEnabled() else self.strip
        first.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def _open_path_network(self) -> None:
        """The window's View ▸ The pen's path network… (`app.explain.path`), if it has one."""
        window = self.parentWidget()
        action = None if window is None else window.findChild(QAction, "pathNetworkAction")
        if action is not None:
            action.trigger()

    def _build(self) -> None:
        """The title and the arrows stay in view; what lies between scrolls when the screen
        is too small for it (a dense unit's table is tall)."""
        maps = QHBoxLayout()
        maps.addWidget(self.input_map)
        maps.addWidget(self.below_map)
        self.grids = grids = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        for grid in (self.patch, self.kernel, self.products):
            grids.addWidget(grid, 1, Qt.AlignmentFlag.AlignTop)
        grids.addWidget(self.contributions, 1, Qt.AlignmentFlag.AlignTop)
        nav = QHBoxLayout()
        nav.addWidget(self.back)
        nav.addWidget(self.down)
        nav.addWidget(self.where, 1)
        nav.addWidget(self.path_network)
        content = QWidget()
        content.setObjectName("neuronContent")
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.line)
        column.addWidget(self.softmax)
        column.addLayout(maps, 1)
        column.addLayout(grids)
        column.addWidget(self.sum)
        column.addWidget(self.strip)
        self.scroller.setWidget(content)
        outer = QVBoxLayout(self)
        outer.addWidget(self.title)
        outer.addWidget(self.scroller, 1)
        outer.addLayout(nav)

    def show_view(
        self, view: NeuronView, *, can_go_back: bool, reached_from: Unit | None = None
    ) -> None:
        """Show one traced unit; `reached_from`: the unit whose strongest input it is (None:
        the user picked it)."""
        self.view = view
        trace = view.trace
        self.title.setText(_title(view, self.labels, reached_from))
        self.line.setText(view.line)
        self.input_map.set_map(view.image, trace.receptive_field, _pixel(view.path))
        self._show_below(view)
        self.patch.setVisible(trace.kind in ("conv", "pool"))
        self.kernel.setVisible(trace.kind == "conv")
        self.products.setVisible(trace.kind == "conv")
        self.sum.setVisible(trace.kind == "conv")
        self.contributions.setVisible(trace.kind == "dense")
        self.softmax.setText(_after_softmax(view, self.labels, self.chart))
        self.softmax.setVisible(bool(self.softmax.text()))
        if trace.kind == "conv":
            self._show_conv(trace)
        elif trace.kind == "pool" and trace.window is not None:
            self.patch.title = "Window (the winner outlined)"
            self.patch.set_values(trace.window[None], mark=(0, *trace.winner), diverging=False)
        elif trace.kind == "dense":
            self.contributions.setText(_contributions(view))
        self.back.setEnabled(can_go_back)
        self.down.setEnabled(trace.strongest is not None)
        nxt = trace.strongest
        self.where.setText(
            ""
            if nxt is None
            else f"next: {nxt.layer or 'input'} · {unit_text(nxt, _flat(view, nxt))}"
        )
        self.strip.labels = self.labels
        self.strip.set_blocks(view.blocks)
        self.strip.set_path(view.path, trace.layer)

    def show_empty(self) -> None:
        """The canvas was cleared: name the unit, say "draw to see it" and show nothing of the
        old drawing (the next drawing is traced at the same unit)."""
        view, self.view = self.view, None
        if view is not None:
            trace = view.trace
            what = _unit_name(view, trace.unit, self.labels)
            self.title.setText(f"<b>{trace.layer}</b> {trace.kind} · {what}: draw to see it")
        self.line.setText("")
        self.input_map.set_map(None)
        self.below_map.set_map(None, title="Layer below")
        widgets = (self.patch, self.kernel, self.products, self.sum, self.contributions)
        for widget in (*widgets, self.softmax):
            widget.hide()
        self.back.setEnabled(False)
        self.down.setEnabled(False)
        self.where.setText("")
        self.strip.set_path((), None)

    def _show_below(self, view: NeuronView) -> None:
        trace, strongest = view.trace, view.trace.strongest
        if view.below_map is None or strongest is None:
            self.below_map.set_map(None, title="Layer below: the whole layer (dense)")
            return
        box = None
        read = trace.patch if trace.patch is not None else trace.window
        if read is not None:  # the patch or window it read, in the map below
            top, left = trace.origin
            box = (top, left, top + read.shape[-2], left + read.shape[-1])
        name = strongest.layer or "input"
        title = f"{name} · map {shown_number(strongest.channel)} (strongest input outlined)"
        self.below_map.set_map(view.below_map, box, (strongest.row, strongest.col), title)

    def _show_conv(self, trace: NeuronTrace) -> None:
        assert trace.patch is not None and trace.kernel is not None and trace.products is not None
        per_channel = np.abs(trace.products.sum(axis=(1, 2)))
        order = [int(c) for c in np.argsort(-per_channel, kind="stable")[:SHOWN_CHANNELS]]
        strongest = trace.strongest
        mark = None
        if strongest is not None:
            mark = (
                strongest.channel,
                strongest.row - trace.origin[0],
                strongest.col - trace.origin[1],
            )
        count = len(trace.patch)
        note = "" if count <= 1 else f" ({len(order)} of {count} channels)"
        # one channel: side by side; many: one above the other, the full width each, so the
        # cells can hold numbers and a channel's patch, kernel and products line up
        many = QBoxLayout.Direction.TopToBottom if count > 1 else QBoxLayout.Direction.LeftToRight
        self.grids.setDirection(many)
        self.patch.title = "Patch read" + note
        self.patch.setToolTip("Input channels ordered by how much they added, strongest first")
        self.patch.set_values(trace.patch, order, mark, diverging=False)
        self.kernel.set_values(trace.kernel, order, mark)
        self.products.set_values(trace.products, order, mark)
        products = float(trace.products.sum())
        self.sum.setText("Sum: " + sum_line(products, trace.products.size, trace.bias, trace.total))


def _flat(view: NeuronView, unit: Unit) -> bool:
    """Whether `unit`'s layer is flat (dense units are numbered, not placed)."""
    return any(b.name == unit.layer and len(b.shape) == 1 for b in view.blocks)


def _unit_name(view: NeuronView, unit: Unit, labels: list[str]) -> str:
    """How `unit` is named (an output unit by its class, from `labels`)."""
    output = bool(view.blocks) and unit.layer == view.blocks[-1].name
    label = labels[unit.channel] if output and unit.channel < len(labels) else None
    return unit_text(unit, _flat(view, unit), label)


def _title(view: NeuronView, labels: list[str], reached_from: Unit | None) -> str:
    """The unit, its value, and how it was reached: stepped down to from another unit, or
    picked in a layer (a batch norm or ReLU) shown with the layer that computes it."""
    trace, clicked = view.trace, view.clicked
    what = _unit_name(view, trace.unit, labels)
    if reached_from is not None:
        origin = _unit_name(view, reached_from, labels)
        via = f" (reached from {reached_from.layer} · {origin})"
    else:
        via = "" if clicked.layer == trace.layer else f" (you picked {clicked.layer})"
    return (
        f"<b>{trace.layer}</b> {trace.kind} · {what} = <b>{_minus(f'{trace.value:.3g}')}</b>{via}"
    )


def _pixel(path: tuple[Unit, ...]) -> tuple[int, int] | None:
    return (path[-1].row, path[-1].col) if path and path[-1].layer is None else None


def _contributions(view: NeuronView) -> str:
    """The strongest inputs' products, the others, the bias and the sum, in one number of
    decimals so that the column adds up as written (the others are what is left)."""
    trace = view.trace
    decimals = sum_decimals(trace.total)
    scale = 10**decimals
    products = [round(c.product * scale) for c in trace.contributions]
    bias, total = round(trace.bias * scale), round(trace.total * scale)
    rows = "".join(
        f"<tr><td>#{shown_number(c.index)}</td><td align=right>{_minus(f'{c.input:.3g}')}</td>"
        f"<td>×</td><td align=right>{_minus(f'{c.weight:.3g}')}</td>"
        f"<td>=</td><td align=right><b>{fixed(p / scale, decimals)}</b></td></tr>"
        for c, p in zip(trace.contributions, products, strict=True)
    )
    rest = total - bias - sum(products)
    rows += _total_row(f"{trace.rest_count} others", fixed(rest / scale, decimals))
    rows += _total_row("bias", fixed(bias / scale, decimals))
    rows += _total_row("<b>sum</b>", fixed(total / scale, decimals))
    return f"<b>Strongest inputs</b> (input × weight)<table>{rows}</table>"


def _after_softmax(view: NeuronView, labels: list[str], chart: dict[str, float]) -> str:
    """For an output unit: its softmax (the network alone) and the share the chart shows for
    its class (the reader's answer, which also weighs the person's earlier drawings, the
    character set and the calibration); "" for any other unit or before an answer."""
    channel = view.trace.unit.channel
    if view.softmax is None or channel >= len(labels) or not chart:
        return ""
    label = labels[channel]
    alone = f"The network alone gives {label} {percent(view.softmax)} (the softmax above)."
    if label not in chart:
        return f"{alone} The chart leaves {label} out: it is not in the character set."
    return (
        f"{alone} The chart shows {percent(chart[label])}: the reader's answer, which also "
        "weighs your earlier drawings, the character set and the calibration."
    )


def _total_row(name: str, shown: str) -> str:
    return f"<tr><td colspan=5>{name}</td><td align=right>{shown}</td></tr>"
