"""Wires the trace network's view: the View menu opens it, and while it is open it follows the
canvas (each stroke, undo or clear) and the model (a fine-tune, another file)."""

from __future__ import annotations

from PySide6.QtCore import QObject, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from ocrpad.app.draw.tab import DrawTab
from ocrpad.app.explain.path.dialog import EMPTY, PathNetworkDialog
from ocrpad.explain.path_units import PathTracer, lifted_steps
from ocrpad.model import Model
from ocrpad.reading import context_of
from ocrpad.reading.trace import TraceNet, traces_of

NO_TRACE = (
    "This model's reader has no trace network: it reads the picture alone. (The shipped "
    "model has one; a model file from before it, or one without a fitted reader, has none.)"
)


class PathNetworkController(QObject):
    """Owns the View menu's "The pen's path network…" and its dialog."""

    def __init__(
        self,
        window: QMainWindow,
        draw: DrawTab,
        model: Model | None,
        model_changed: SignalInstance,
    ) -> None:
        super().__init__(window)
        self.window_, self.draw = window, draw
        self.dialog: PathNetworkDialog | None = None
        self.model: Model | None = None
        self._found: tuple[TraceNet | None, str] | None = None  # the model's, once looked for
        self.action = QAction("The pen's &path network…", window)
        self.action.setObjectName("pathNetworkAction")
        self.action.setStatusTip("How the reader's trace network read the way this was drawn")
        self.action.triggered.connect(self.open)
        view = window.menuBar().findChild(QMenu, "viewMenu")
        assert view is not None
        view.addAction(self.action)
        draw.canvas.strokes_changed.connect(lambda _: self.refresh())
        model_changed.connect(lambda payload: self.set_model(payload[0]))
        self.set_model(model)

    def set_model(self, model: Model | None) -> None:
        """Read `model`'s trace network from now on (looked for when the view first needs it:
        reading a reader takes about 15 ms, which start-up need not spend on a closed view)."""
        self.model, self._found = model, None
        self.refresh()

    def trace(self) -> tuple[TraceNet | None, str]:
        """The model's trace network, or None and what the view says instead."""
        if self._found is None:
            trace, problem = None, NO_TRACE
            try:
                context = None if self.model is None else context_of(self.model)
            except ValueError as exc:  # a damaged reader: the window reads without it too
                context, problem = None, f"The model's reader cannot be read: {exc}"
            if context is not None and context.trace is not None:
                trace = context.trace
            self._found = (trace, problem)
        return self._found

    def open(self) -> None:
        if self.dialog is None:
            self.dialog = PathNetworkDialog(self.window_)
        self.dialog.show()
        self.dialog.raise_()
        self.refresh()

    def refresh(self) -> None:
        """Show the canvas's drawing as the trace network reads it (only while open)."""
        dialog = self.dialog
        if dialog is None or not dialog.isVisible():
            return
        strokes = self.draw.canvas.strokes()
        trace, problem = self.trace()
        if trace is None:
            dialog.show_tracer(None, problem)
        elif not any(len(stroke) for stroke in strokes):
            dialog.show_tracer(None, EMPTY)
        else:
            tracer = PathTracer(trace, traces_of([strokes])[0])
            dialog.show_tracer(tracer, lifted=lifted_steps(strokes))
