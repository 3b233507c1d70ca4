"""Every mouse move reaches the canvas: the app turns off Qt's merging of queued moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from ocrpad.app import main as app_main

MERGE = Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents


class _StopError(Exception):
    """Raised by the stand-in window factory, so that main() ends before its event loop."""


@pytest.fixture
def merging_on(qapp: QApplication) -> Iterator[None]:
    """Moves merged, as the X11 platform plugin sets it when the app starts; put back after."""
    before = QCoreApplication.testAttribute(MERGE)
    QCoreApplication.setAttribute(MERGE, True)
    yield
    QCoreApplication.setAttribute(MERGE, before)


@pytest.fixture
def names_kept(qapp: QApplication) -> Iterator[None]:
    """main() names the application; the names other tests run under come back after."""
    kept = (
        QCoreApplication.organizationName(),
        QCoreApplication.applicationName(),
        QCoreApplication.applicationVersion(),
        QGuiApplication.desktopFileName(),
    )
    yield
    QCoreApplication.setOrganizationName(kept[0])
    QCoreApplication.setApplicationName(kept[1])
    QCoreApplication.setApplicationVersion(kept[2])
    QGuiApplication.setDesktopFileName(kept[3])


@pytest.mark.usefixtures("merging_on", "names_kept")
def test_main_stops_merging_mouse_moves_before_it_builds_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    def window_factory(*_: object, **__: object) -> None:
        seen.append(QCoreApplication.testAttribute(MERGE))
        raise _StopError

    monkeypatch.setattr(app_main, "create_main_window", window_factory)
    with pytest.raises(_StopError):
        app_main.main()
    assert seen == [False]


@pytest.mark.usefixtures("merging_on")
def test_keeping_every_move_turns_the_merging_off() -> None:
    app_main.keep_every_pointer_move()
    assert not QCoreApplication.testAttribute(MERGE)
