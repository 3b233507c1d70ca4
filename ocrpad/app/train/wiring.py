"""Puts the Train tab into the window: the tab, the Draw tab's correction bar, the user's model.

``install(window, data_dir)`` opens the sample store under ``data_dir``, adds the tab, loads the
user's fine-tuned model if there is one, and keeps a kept model saved. The window is reached
through the small ``TrainHost`` protocol (``MainWindow`` provides it), so this room never
imports the main window.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from ocrpad.app.draw.strokes import Drawing
from ocrpad.app.train.correcting import CorrectionHost, Corrections
from ocrpad.app.train.keeper import (
    RECOVERY_GLOB,
    RETRY_WAIT_S,
    DrawingKeeper,
    ask_about_unsaved,
)
from ocrpad.app.train.model_files import (
    Signature,
    newest_set_aside,
    set_aside,
    set_aside_pattern,
    signature,
)
from ocrpad.app.train.model_lock import model_file_locked
from ocrpad.app.train.panel import verdict
from ocrpad.app.train.questions import (
    ask_about_result,
    ask_about_unsaved_model,
    ask_to_stop_fine_tune,
    confirm_restore,
    tell_model_not_kept,
)
from ocrpad.app.train.tab import STORE_NAME, USER_MODEL_NAME, TrainTab
from ocrpad.data.samples import SOURCES, SampleStore, StoreBusyError, StoreError, open_store
from ocrpad.model import Model, load_model
from ocrpad.nn.atomic import remove_abandoned_temp_files
from ocrpad.nn.serialization import non_finite
from ocrpad.reading import HISTORY_CAP, Labelled
from ocrpad.reading.answers import HistoryItem


class TrainHost(CorrectionHost, Protocol):
    """What the Train tab's wiring needs of the window."""

    model: Model | None

    def add_tab(self, widget: QWidget, title: str) -> int: ...
    def set_model(self, model: Model, description: str = "") -> None: ...
    def seed_history(self, drawings: Iterable[HistoryItem], *, newest: bool = False) -> None: ...
    def installEventFilter(self, watcher: QObject, /) -> None: ...  # noqa: N802  (Qt's name)


class _Wiring(QObject):
    """Connects the Train tab and the correction bar to the window."""

    def __init__(self, window: TrainHost, tab: TrainTab, data_dir: Path) -> None:
        super().__init__(tab)  # lives as long as the tab, which the window owns
        self.window, self.tab = window, tab
        self.user_model = data_dir / USER_MODEL_NAME
        self.factory = window.model  # what the window started with
        self.corrections = Corrections(window, tab)  # the Draw tab's "Wrong? It was" bar
        self.unsaved: tuple[Model, str] | None = None  # a kept model in use but not saved, why
        self.known: Signature | None = None  # user-model.npz as this window loaded or wrote it
        self.refused = ""  # why the latest model handed to `accept` was not kept, or ""
        tab.model_accepted.connect(self.accept)
        tab.drawing_saved.connect(self.collected)
        tab.restore_factory_requested.connect(self.restore_factory)
        tab.panel.bring_back_button.clicked.connect(self.bring_back)
        tab.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
        window.installEventFilter(self)
        self.show_restorable()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Close:  # installed on the window only
            if not self.may_close():
                event.ignore()  # the user chose to stay: the window remains open
                return True
            self.tab.shutdown()
        return False

    def may_close(self) -> bool:
        """At close nothing goes unasked: a fine-tune running or awaiting Keep / Discard, a
        kept model that could not be saved, drawings the store refused (in that order: a
        Keep may leave a model unsaved). Returns False if the window should stay open."""
        running = self.tab.panel.state == "running" and not self.tab.worker.cancelling
        if running and not ask_to_stop_fine_tune(self.tab):  # (a Cancel asked already)
            return False
        if self.tab.pending is not None:  # it may have finished while the user was asked
            decision = ask_about_result(self.tab, verdict(self.tab.pending.report))
            if decision == "stay":
                return False
            if decision == "keep":
                self.tab.keep()  # saved now; if it cannot be, the next question says so
                if self.refused:  # never to be kept: a box says so, the status bar is going
                    kept = self.user_model if self.user_model.is_file() else None
                    tell_model_not_kept(self.tab, self.refused, kept)
            else:
                self.tab.discard()
        return self.keep_unsaved_model() and self.keep_unsaved()

    def keep_unsaved_model(self) -> bool:
        """A kept model that could not be saved is saved now, or the user decides. Returns
        False if the window should stay open."""
        if self.unsaved is None or self.unsaved[0] is not self.window.model:
            return True
        model = self.unsaved[0]
        try:
            self.save_user_model(model)
            self.unsaved = None
            return True
        except (OSError, ValueError) as exc:
            reason = str(exc)
        store = (self.user_model.parent / STORE_NAME).resolve()

        def save_to(path: Path) -> None:
            if path.resolve() == store:
                raise ValueError("that is where the sample store keeps your drawings")
            model.save(path)

        return ask_about_unsaved_model(self.tab, reason, self.user_model.parent, save_to)

    def keep_unsaved(self) -> bool:
        """At close, drawings the store refused go to a file the next start imports; if even
        that fails the user decides. Returns False if the window should stay open."""
        keeper = self.tab.keeper
        try:
            keeper.rescue()
            return True
        except (OSError, ValueError) as exc:
            reason = str(exc)
        return ask_about_unsaved(self.tab, len(keeper.unsaved), reason, keeper)

    def collected(self, strokes: Drawing, label: str, source: str) -> None:
        """A drawing labelled on the Train tab joins the reader's history at once, as saved
        samples do at start (a correction joins when its drawing is cleared away)."""
        if source in ("prompt", "free"):
            self.window.seed_history([Labelled(tuple(strokes), label)], newest=True)

    def show_restorable(self) -> None:
        """Restore is greyed out while the shipped model is in use and no model of the user's
        is kept on disk: there is nothing for it to do. "Bring back my model" is offered
        while the shipped model is in use, none is kept, and Restore set one aside."""
        shipped = self.factory is not None and self.window.model is self.factory
        kept = self.user_model.is_file()
        self.tab.panel.set_restorable(not (shipped and not kept))
        aside = shipped and not kept and newest_set_aside(self.user_model) is not None
        self.tab.panel.set_bring_back(aside)

    def load_user_model(self) -> None:
        if not self.user_model.is_file():
            return
        try:
            found = signature(self.user_model)
            model = load_model(self.user_model)
        except (OSError, ValueError) as exc:
            self.tab.show_message(
                f"Your fine-tuned model could not be loaded ({exc}). The file stays as it is; "
                f"a model you keep sets it aside first, as {set_aside_pattern(self.user_model)}."
            )
            return
        self.known = found
        self.window.set_model(model, "Model: yours (fine-tuned)")
        self.show_restorable()

    def save_user_model(self, model: Model) -> str:
        """Write ``model`` as ``user-model.npz``. A file there that this window neither loaded
        nor wrote (another window's Keep; one it could not load) is set aside first, never
        overwritten; returns a sentence saying where, or "". OSError or ValueError if the
        model is not saved: ValueError, before any file is touched, for weights that are
        not finite (they would replace a working model with one that cannot be loaded)."""
        if broken := non_finite({**model.state_dict(), **model.extras}):
            raise ValueError(f"its weights hold NaN or infinite values, in {', '.join(broken)}")
        aside = ""
        with model_file_locked(self.user_model):  # another window's Keep waits meanwhile
            if (found := signature(self.user_model)) is not None and found != self.known:
                moved = set_aside(self.user_model)
                aside = f" The {USER_MODEL_NAME} that was there is set aside as {moved.name}."
            model.save(self.user_model)
            self.known = signature(self.user_model)
        return aside

    def accept(self, model: Any) -> None:
        unsaved: OSError | None = None
        aside = self.refused = ""
        try:
            aside = self.save_user_model(model)
        except ValueError as exc:  # NaN or infinite weights: nothing written, nothing to use
            self.refused = str(exc)
            self.tab.show_message(
                f"The fine-tuned model was not kept ({exc}); the model in use and its file "
                "stay as they were."
            )
            return
        except OSError as exc:
            unsaved = exc
        self.unsaved = None if unsaved is None else (model, str(unsaved))
        self.window.set_model(model, "Model: yours (fine-tuned)")
        self.show_restorable()
        if unsaved is not None:
            self.tab.show_message(
                f"The model is in use but could not be saved: {unsaved}. ocrpad saves it "
                "when the window closes."
            )
        elif aside:
            self.tab.show_message(f"Kept: the fine-tuned model is now in use.{aside}")

    def restore_factory(self) -> None:
        """Go back to the shipped model once the user confirms; their model's file is set
        aside under a name of its own (``model_files``), never overwritten."""
        factory = self.factory
        kept = self.user_model.is_file()
        if factory is not None and self.window.model is factory and not kept:
            self.tab.show_message("The shipped model is already in use: nothing to restore.")
            return
        lost = self.unsaved[1] if self.unsaved and self.unsaved[0] is self.window.model else None
        if not confirm_restore(self.tab, self.user_model if kept else None, lost):
            return
        if factory is None:
            try:
                factory = load_model(None)
            except (OSError, ValueError) as exc:
                self.tab.show_message(f"The shipped model could not be loaded: {exc}")
                return
            self.factory = factory
        aside = ""
        try:
            with model_file_locked(self.user_model):  # not while another window keeps one
                if self.user_model.is_file():
                    aside = f" Yours is set aside as {set_aside(self.user_model).name}."
        except OSError as exc:
            self.tab.show_message(f"Could not set your model aside: {exc}")
            return
        self.unsaved, self.known = None, None
        self.window.set_model(factory, "Model: shipped")
        self.show_restorable()
        self.tab.show_message(f"Restored the shipped model.{aside}")

    def bring_back(self) -> None:
        """Use the model the last Restore set aside again: it becomes ``user-model.npz``."""
        newest: Path | None = None
        try:
            with model_file_locked(self.user_model):  # not while another window keeps one
                newest = newest_set_aside(self.user_model)
                if newest is None or self.user_model.exists():
                    self.show_restorable()
                    return
                model = load_model(newest)
                newest.rename(self.user_model)
                self.known = signature(self.user_model)
        except (OSError, ValueError) as exc:
            name = "your model" if newest is None else newest.name
            self.tab.show_message(f"Could not bring back {name}: {exc}")
            return
        self.window.set_model(model, "Model: yours (fine-tuned)")
        self.show_restorable()
        self.tab.show_message(f"Your fine-tuned model is back in use ({newest.name}).")


def _open(data_dir: Path) -> tuple[SampleStore | None, str, str]:
    """The user's store, a message if it had to be set aside or cannot be opened, and why it
    cannot be (what the first save that cannot reach it says)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        store, moved = open_store(data_dir / STORE_NAME)
    except StoreBusyError as exc:
        message = (
            f"Your saved drawings cannot be opened right now: {exc}. ocrpad keeps trying; "
            "new drawings are kept in memory until then."
        )
        return None, message, str(exc)
    except (OSError, StoreError) as exc:
        message = (
            f"Samples cannot be saved ({exc}); drawings are kept in memory and saved to a "
            "file at close."
        )
        return None, message, str(exc)
    if moved is None:
        return store, "", ""
    message = f"The sample database was damaged. It was moved to {moved} and a new one begun."
    return store, message, ""


def _seed(window: TrainHost, store: SampleStore) -> str:
    """The reader learns the person's size from the drawings they saved here (not imported
    ones: another person's, or another device's units); a message if they cannot be read."""
    try:
        saved = store.newest(HISTORY_CAP, [s for s in SOURCES if s != "import"])
    except StoreError as exc:
        return f"Saved samples could not be read ({exc})."
    window.seed_history(Labelled(tuple(s.strokes), s.label) for s in saved)
    return ""


def install(window: TrainHost, data_dir: Path) -> TrainTab:
    """Add the Train tab and the Draw tab's correction bar to ``window`` (a MainWindow)."""
    data_dir = Path(data_dir)
    # only the temp files of what ocrpad writes here: --data-dir may name a shared folder
    cleaned = remove_abandoned_temp_files(data_dir, like=(USER_MODEL_NAME, RECOVERY_GLOB))
    store, problem, why = _open(data_dir)
    keeper = DrawingKeeper(
        store,
        data_dir,
        opener=lambda: open_store(data_dir / STORE_NAME, busy_wait=RETRY_WAIT_S)[0],
        store_path=data_dir / STORE_NAME,
    )
    keeper.problem = why  # what the first save that cannot reach the store says
    tab = TrainTab(store, lambda: window.model, keeper=keeper)
    window.add_tab(tab, "&Train")
    wiring = _Wiring(window, tab, data_dir)
    wiring.load_user_model()
    keeper.recover()
    if store is not None:
        problem = problem or _seed(window, store)

    def seed_late(opened: SampleStore) -> None:  # the store opened after the start
        if late_problem := _seed(window, opened):
            tab.show_message(late_problem)

    keeper.store_opened.connect(seed_late)
    if problem:
        tab.show_message(problem)
    elif cleaned:
        tab.show_message(f"Removed {len(cleaned)} unfinished temporary file(s) from {data_dir}.")
    return tab
