"""The main window: wires the Draw tab's widgets to the recognition worker, menus and settings."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QThread, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QWidget,
)

from ocrpad.app.actions import DRAW_TAB_ONLY, build_actions
from ocrpad.app.draw.picture import (
    PICTURE_FILTER,
    PREVIEW_SIDE,
    examine_picture,
    in_documents,
    read_preview,
)
from ocrpad.app.draw.picture_reading import PictureReading
from ocrpad.app.draw.prediction import Failure, ModelInfo, Prediction
from ocrpad.app.draw.recent import RecentDrawings
from ocrpad.app.draw.strokes import Drawing
from ocrpad.app.draw.tab import DrawTab
from ocrpad.app.draw.worker import InferenceWorker, Request
from ocrpad.app.drop import PictureDrops
from ocrpad.app.explain.controller import ExplainController
from ocrpad.app.explain.path.controller import PathNetworkController
from ocrpad.app.settings import restore_window, save_window
from ocrpad.app.status_labels import add_status_labels
from ocrpad.app.theme import Theme, apply_theme
from ocrpad.app.words import plural
from ocrpad.charsets import SYMBOLS, class_counts, taught_labels
from ocrpad.model import Model
from ocrpad.reading import WritingGuides
from ocrpad.reading.answers import HistoryItem


class MainWindow(QMainWindow):
    """Tabs ('Draw' first; others join through add_tab), one InferenceWorker thread."""

    prediction_shown = Signal(object)  # Prediction: label, labels, probabilities, …
    message_shown = Signal(str)  # a problem shown to the user (unreadable file, no model)
    model_changed = Signal(object)  # (Model, description), queued to the worker
    history_seeded = Signal(object)  # the person's earlier drawings, queued to the worker

    def __init__(
        self,
        model: Model | None,
        *,
        description: str = "",
        problem: str = "",
        data_dir: Path | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("ocrpad")
        self.data_dir = data_dir
        self.settings = settings if settings is not None else QSettings()
        self.model = model
        self.current: Prediction | None = None
        self._latest_id = 0
        self.recent_drawings = RecentDrawings()  # the reader's history (draw/recent.py)
        self._charset: tuple[str, ...] | None = None
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.draw = DrawTab()
        self.tabs.addTab(self.draw, "&Draw")
        self._picture = PictureReading(self.draw.canvas, self.statusBar())  # opened, being read
        self.setCentralWidget(self.tabs)
        self.model_status, self.version_status = add_status_labels(self.statusBar())
        self.statusBar().messageChanged.connect(lambda m: self.statusBar().setToolTip(m))  # cut
        self.actions_by_name = build_actions(self)
        self.draw.finish_tools()
        self._start_worker(model, description)
        self._connect()
        PictureDrops(self, self)  # a picture file dropped on the window is opened
        dreams = None if data_dir is None else data_dir / "dreams"  # computed once per model
        self.explain = ExplainController(self, self.draw, model, dreams)  # own worker thread
        self.prediction_shown.connect(self.explain.on_prediction)
        self.model_changed.connect(self.explain.on_model_changed)
        self.explain.status_message.connect(self.statusBar().showMessage)
        view = self.menuBar().findChild(QMenu, "viewMenu")
        assert view is not None
        view.addSeparator()
        view.addMenu(self.explain.toggle.view_menu(self))  # the heat map, by keyboard too
        self.path_network = PathNetworkController(self, self.draw, model, self.model_changed)
        self.draw.order_focus()  # its tools are in: Tab goes as the eye reads
        restore_window(self)  # every value checked: a bad one falls back to its default
        if model is None:
            self._show_problem(problem or "No model is loaded.")

    # -- public hooks --------------------------------------------------------------------
    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab after 'Draw' (e.g. the Train tab); returns its index. The page scrolls
        when the window is smaller than it needs, so that no tab forces it past a small screen.
        """
        scroller = QScrollArea()
        scroller.setObjectName(f"{widget.objectName() or 'page'}Scroller")
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes straight to the controls
        scroller.setWidget(widget)
        return self.tabs.addTab(scroller, title)

    def set_model(self, model: Model, description: str = "") -> None:
        """Swap the model used for recognition (from the GUI thread; the worker gets it queued)."""
        self.model = model
        self._show_character_set()
        self.model_changed.emit((model, description))
        self.keep_character_set_readable()

    def set_character_set(self, labels: Iterable[str] | None) -> None:
        """Restrict the answer and the chart to `labels` (None: every class); remembered."""
        chosen = None if labels is None else tuple(dict.fromkeys(labels))
        self._charset = chosen or None
        self._show_character_set()
        self.settings.setValue("character_set", "".join(self._charset or ()))
        self._read_again()

    def set_guides(self, on: bool) -> None:
        """Show or hide the writing guides; while shown the reader takes the scale from them."""
        self.draw.canvas.set_guides(on)
        self.settings.setValue("guides", on)
        self._read_again()

    def seed_history(self, drawings: Iterable[HistoryItem], *, newest: bool = False) -> None:
        """Older drawings of this person, oldest first: strokes, or `Labelled` strokes when
        the person gave their character (saved samples; newest: just saved on the Train tab)."""
        self.recent_drawings.seed(drawings, newest=newest)
        self.history_seeded.emit(self.recent_drawings.history())  # read before the first drawing

    @property
    def recent(self) -> tuple[HistoryItem, ...]:
        """The person's recent drawings as the reader's history, newest last."""
        return tuple(self.recent_drawings.items)

    def label_drawing(self, label: str | None) -> None:
        """The person says the current drawing is `label`: it joins the history labelled, so
        the reader takes its class as given, not as guessed. None takes the newest label back
        (Undo of a correction), whether or not its drawing has joined the history yet."""
        self.recent_drawings.label(label)

    @property
    def latest_request_id(self) -> int:
        """The id of the newest drawing sent for recognition (answers to older ones are dropped)."""
        return self._latest_id

    def strokes(self) -> Drawing:
        """The current drawing: (k, 2) float32 arrays in canvas units."""
        return self.draw.canvas.strokes()

    # -- worker --------------------------------------------------------------------------
    def _start_worker(self, model: Model | None, description: str) -> None:
        self.thread_ = QThread(self)
        self.thread_.setObjectName("inference")
        self.worker = InferenceWorker(model, description)
        self.worker.moveToThread(self.thread_)
        self.worker.prediction_ready.connect(self._show_prediction)
        self.worker.failed.connect(self._show_failure)
        self.worker.model_ready.connect(self._show_model)
        self.model_changed.connect(self.worker.set_model)
        self.history_seeded.connect(self.worker.remember)
        self.thread_.started.connect(self.worker.announce_model)
        self.thread_.start()

    def shutdown(self) -> None:
        """Stop the worker thread (waits for a recognition in progress)."""
        self.explain.shutdown()
        if self.thread_.isRunning():
            self.thread_.quit()
            self.thread_.wait(10_000)

    def _connect(self) -> None:
        canvas = self.draw.canvas
        canvas.strokes_changed.connect(self.recognise_strokes)
        canvas.picture_dismissed.connect(self._drop_unshown_picture)
        canvas.cleared.connect(self.recent_drawings.cleared)
        canvas.restored.connect(self.recent_drawings.restored)
        self.draw.character_set.currentIndexChanged.connect(
            lambda _: self.set_character_set(self.draw.character_set.currentData())
        )
        canvas.history_changed.connect(self._update_history_actions)
        self.tabs.currentChanged.connect(lambda _: self._tab_changed())
        self.draw.chart.class_clicked.connect(
            lambda label: self.statusBar().showMessage(f"Class {label!r}", 3000)
        )
        self._update_history_actions()

    def recognise_strokes(self, strokes: Drawing) -> None:
        self._latest_id += 1
        self._picture.forget()  # the strokes are the drawing now
        self.recent_drawings.drawing = tuple(strokes)
        if not strokes:
            self._show_empty()
            return
        lines = self.draw.canvas.guides()
        request = Request(
            self._latest_id,
            tuple(strokes),
            history=self.recent_drawings.history(),
            guides=None if lines is None else WritingGuides(*lines),
            charset=self._charset,
        )
        self.worker.submit(request)

    def _drop_unshown_picture(self) -> None:
        """A stroke, an erasure or a Clear while the picture Qt could not show was being read:
        its answer would bring it in behind the new drawing, which is what is read now."""
        if self._picture.path is not None:
            self.recognise_strokes(self.strokes())

    def _read_again(self) -> None:
        if self.strokes():
            self.recognise_strokes(self.strokes())
        elif (path := self._picture.path) is not None:  # the picture on the canvas, in the new set
            shown = self.draw.canvas.background() is not None  # else its preview is still due
            self._read_picture(path, preview=0 if shown else PREVIEW_SIDE)

    def keep_character_set_readable(self) -> None:
        """Back to All, saying so, and the drawing read again, when the model in use reads
        none of the chosen set (the user's own class after Restore factory model). Called when
        the model changes and once the start is done (settings come before the user's model)."""
        labels = set(() if self.model is None else self.model.labels)
        if self._charset and labels and not labels.intersection(self._charset):
            gone = "".join(self._charset)
            self._charset = None
            self.settings.setValue("character_set", "")
            self._show_character_set()
            self._show_problem(f"This model reads none of {gone!r}, so Read as is back to All.")
            self.draw.panel.keep_message()  # beside the drawing's answer in the whole set
            self._read_again()

    def _show_character_set(self) -> None:
        taught = "" if self.model is None else "".join(sorted(taught_labels(self.model.meta)))
        chars = None if self._charset is None else "".join(self._charset)
        symbols = self.model is not None and any(c in SYMBOLS for c in self.model.labels)
        self.draw.show_character_set(chars, taught, symbols=symbols)

    def open_image(self, path: str | Path) -> None:
        """Recognise a picture file (read and converted in the worker) on the Draw tab."""
        problem, frames = examine_picture(path := Path(path))
        if problem:
            self._show_problem(problem)
            return
        self.tabs.setCurrentIndex(0)  # the picture and its answer show there
        self.draw.canvas.clear()
        image = read_preview(path)  # None if Qt cannot (e.g. a picture over its memory limit)
        self.draw.canvas.set_background(image)
        self._picture.frames = frames  # "the first of N frames" once read
        self._read_picture(path, PREVIEW_SIDE if image is None else 0, announce=True)  # 0: shown

    def _read_picture(self, path: Path, preview: int, *, announce: bool = False) -> None:
        """Read a picture in the chosen set; preview: the length of a grey copy to send back;
        announce: say "Reading <name>…" until the answer comes."""
        self._latest_id += 1
        self._picture.read(self._latest_id, path, announce=announce)
        self.worker.submit(
            Request(self._latest_id, image_path=str(path), preview=preview, charset=self._charset)
        )

    # -- results -------------------------------------------------------------------------
    def _show_prediction(self, prediction: Prediction) -> None:
        if prediction.request_id != self._latest_id:
            return  # an older drawing: a newer one is on its way
        self.current = prediction
        self._picture.show_answer(prediction)  # its copy shown if Qt could not, "Read <name>"
        self.draw.panel.show_prediction(prediction)
        self.draw.chart.set_probabilities(prediction.labels, prediction.probabilities)
        self.draw.feature_maps.set_layers(prediction.layers)
        self.prediction_shown.emit(prediction)

    def _show_failure(self, failure: Failure) -> None:
        if failure.request_id != self._latest_id:
            return
        self._show_empty()
        self._show_problem(self._picture.failure_words(failure))  # the reason, not a guess

    def _show_problem(self, message: str) -> None:
        self.draw.panel.show_message(message)
        self.statusBar().showMessage(message, 8000)
        self.message_shown.emit(message)

    def _show_empty(self) -> None:
        self.current = None
        self.draw.panel.show_empty()
        self.draw.chart.clear()
        self.draw.feature_maps.set_layers((), answered=False)

    def _show_model(self, info: ModelInfo) -> None:
        self.draw.feature_maps.set_filters(info.filters)
        self.model_status.setText(f"{info.description} · {plural(len(info.labels), 'class')}")
        self.model_status.setToolTip(f"{class_counts(info.labels)}; Read as chooses among them")

    def _tab_changed(self) -> None:
        """Another tab: the status bar's message was about the one left (a heat map's "where
        the network sees 'a'" stayed on the Train tab), and the Draw tab's actions pause."""
        self.statusBar().clearMessage()
        self._update_history_actions()

    def _update_history_actions(self) -> None:
        """The Draw tab's actions work only while it is shown; Undo and Redo only when there
        is something to undo or redo."""
        on_draw = self.tabs.currentWidget() is self.draw
        for name in DRAW_TAB_ONLY:
            self.actions_by_name[name].setEnabled(on_draw)
        history = self.draw.canvas.history
        self.actions_by_name["undo"].setEnabled(on_draw and history.can_undo)
        self.actions_by_name["redo"].setEnabled(on_draw and history.can_redo)

    # -- actions -------------------------------------------------------------------------
    def copy_character(self) -> None:
        if self.current is None:
            self.statusBar().showMessage("Nothing recognised yet to copy", 3000)
            return
        QGuiApplication.clipboard().setText(self.current.label)
        self.statusBar().showMessage(f"Copied {self.current.label!r}", 3000)

    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a picture of a character", in_documents(), PICTURE_FILTER
        )
        if path:
            self.open_image(path)

    def set_theme(self, theme: Theme) -> None:
        apply_theme(theme)
        self.settings.setValue("theme", theme)
        self.actions_by_name["dark"].setChecked(theme == "dark")
        self.draw.canvas.set_pen_width(self.draw.canvas.pen_width())  # repaint ink colour

    def show_about(self) -> None:
        from ocrpad.app.about import about_text

        QMessageBox.about(self, "About ocrpad", about_text(self.model_status.text()))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        save_window(self)
        self.shutdown()
        super().closeEvent(event)
