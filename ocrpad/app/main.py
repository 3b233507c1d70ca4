"""Start the app: `ocrpad` / `python -m ocrpad` call main(); tests call create_main_window()."""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ocrpad import __version__, resources
from ocrpad.app.file_open import forward_file_opens
from ocrpad.app.main_window import MainWindow
from ocrpad.app.settings import set_aside_unsafe
from ocrpad.app.train.wiring import install as install_train_tab
from ocrpad.model import Model, load_model
from ocrpad.nn import parallel

ORGANISATION = "ocrpad"
APPLICATION = "ocrpad"


def app_settings() -> QSettings:
    """The user's settings: an INI file in the user scope (tests redirect it with setPath)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
    )


def _load(model_path: str | Path | None) -> tuple[Model | None, str, str]:
    """(model, description, problem): a missing or damaged file gives None and a clear reason."""
    path = Path(model_path) if model_path is not None else resources.default_weights_path()
    if not path.exists():
        fix = "give another with --weights" if model_path else "reinstall ocrpad to bring it back"
        return None, "", f"There is no model file at {path}: {fix}."
    try:
        model = load_model(model_path)
    except (OSError, ValueError) as exc:
        return None, "", f"The model could not be loaded: {exc}"
    return model, f"Model: {path.name}", ""


def create_main_window(
    model_path: str | Path | None = None,
    data_dir: str | Path | None = None,
    *,
    settings: QSettings | None = None,
) -> MainWindow:
    """Build the window (a QApplication must exist); samples live under data_dir."""
    parallel.set_blas_threads_for_small_batches(False)  # several workers share the cores
    model, description, problem = _load(model_path)
    folder = resources.user_data_dir(data_dir)
    settings, moved = set_aside_unsafe(settings if settings is not None else app_settings())
    window = MainWindow(
        model,
        description=description,
        problem=problem,
        data_dir=folder,
        settings=settings,
    )
    install_train_tab(window, folder)
    window.draw.order_focus()  # the Train tab's correction bar joined the Draw tab's tools
    window.keep_character_set_readable()  # now that the user's own model is loaded, if any
    if moved:  # the settings file held a value that would have aborted Qt
        earlier = window.statusBar().currentMessage()
        window.statusBar().showMessage(f"{moved} {earlier}".strip(), 15000)
    if not window.settings.isWritable():  # a read-only or full configuration folder
        earlier = window.statusBar().currentMessage()  # e.g. that samples cannot be saved
        window.statusBar().showMessage(
            f"Settings cannot be saved to {window.settings.fileName()}: the pen, theme and "
            f"Read as chosen now will be forgotten at close. {earlier}".strip(),
            15000,
        )
    return window


def show(window: MainWindow, picture: Path | None = None) -> None:
    """Show the window; a picture given on the command line (or by a file manager's "Open
    with") is opened and read once the window is up, or its problem shown there."""
    window.show()
    if picture is not None:
        QTimer.singleShot(0, lambda: window.open_image(picture))


def keep_every_pointer_move() -> None:
    """Deliver every mouse move to the canvas, not only the newest of those that queued up.

    On X11, Qt merges the mouse moves that arrive while the event loop is busy
    (`AA_CompressHighFrequencyEvents`, on there by default; the platform plugin turns it on
    when the QApplication is made, so this must run after). A drawing app loses ink by it: a
    stroke begun as the previous one's answer is painted lost up to a fifth of its points, in
    one straight jump (a 1,000 Hz mouse under Xvfb, 151 points a stroke: 122–147 arrived; with
    this, all 151; `devtools.pointer_moves`), which is the angular, few-point trace the reader
    otherwise has to correct for. A move costs the canvas one appended point (its repaints are
    still merged by `update()`)."""
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents, False)


def freeze_startup_objects() -> None:
    """Once the window is built, what exists (modules, widgets, the model) lives as long as
    the app: frozen out of the cyclic garbage collector, it is not rescanned by each full
    collection, which otherwise stalls the event loop for ~16 ms every so often."""
    gc.collect()
    gc.freeze()


def main(weights: Path | None = None, picture: Path | None = None) -> int:
    """Run the app until the window closes, with the model file `weights` (None: the shipped
    one) and `picture` opened and read once the window shows; returns the exit status."""
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    keep_every_pointer_move()
    app.setDesktopFileName(APPLICATION)  # Wayland: match the window to ocrpad.desktop's icon
    icon = resources.icon_path()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    window = create_main_window(weights)
    app.aboutToQuit.connect(window.shutdown)  # however the app ends, the worker stops first
    forward_file_opens(app, window)  # macOS: Finder's "Open With" and the Dock icon
    show(window, picture)
    freeze_startup_objects()
    _honour_startup_probe(window)
    return app.exec()


def _honour_startup_probe(window: MainWindow) -> None:
    """With OCRPAD_STARTUP_PROBE set: print the time to a visible window, then quit."""
    started = os.environ.get("OCRPAD_STARTUP_PROBE")
    if not started:
        return

    def report() -> None:
        print(f"startup: {time.time() - float(started):.2f} s to a visible window", flush=True)
        window.close()

    QTimer.singleShot(0, report)
