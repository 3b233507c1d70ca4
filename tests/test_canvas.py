"""The canvas: strokes as vectors from raw mouse events, undo/redo, clear, eraser, resizing."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import (
    draw_stroke,
    pen_event,
    pen_stroke,
    press_and_drag,
    relative_line,
    release,
)
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ocrpad.app.draw import stroke_paths
from ocrpad.app.draw.canvas import LOGICAL_SIZE, Canvas
from ocrpad.app.draw.strokes import StrokeHistory, strokes_touching
from ocrpad.preprocess import render_strokes


@pytest.fixture
def canvas(qtbot: QtBot) -> Canvas:
    widget = Canvas()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_drag_with_the_left_button_becomes_one_stroke_of_canvas_units(canvas: Canvas) -> None:
    seen: list[object] = []
    canvas.strokes_changed.connect(seen.append)
    draw_stroke(canvas, relative_line(canvas, (0.2, 0.5), (0.8, 0.5), steps=20))
    assert len(canvas.strokes()) == 1
    stroke = canvas.strokes()[0]
    assert stroke.dtype == np.float32 and stroke.ndim == 2 and stroke.shape[1] == 2
    assert len(stroke) >= 10
    # 400×300 widget: the 1000-unit square is 300 px, centred horizontally (offset 50 px).
    assert stroke[0, 0] == pytest.approx((80 - 50) * LOGICAL_SIZE / 300, abs=1)
    assert stroke[-1, 1] == pytest.approx(LOGICAL_SIZE / 2, abs=1)
    assert len(seen) == 1


def test_every_release_announces_the_whole_drawing(canvas: Canvas) -> None:
    seen: list[tuple[object, ...]] = []
    canvas.strokes_changed.connect(seen.append)
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.3, 0.8)))
    draw_stroke(canvas, relative_line(canvas, (0.6, 0.2), (0.6, 0.8)))
    assert [len(s) for s in seen] == [1, 2]


def test_a_click_without_moving_is_one_point_and_the_network_sees_a_small_dot(
    canvas: Canvas,
) -> None:
    draw_stroke(canvas, [(100.0, 100.0)])
    draw_stroke(canvas, [(200.0, 150.0), (201.0, 151.0), (203.0, 150.0)])  # a wobbly tap
    assert [len(s) for s in canvas.strokes()] == [1, 1]
    image = render_strokes(canvas.strokes()[1:])
    assert image[13:15, 13:15].max() == image.max()  # centred
    assert (image > 0.25).sum() < 20  # a dot (13 pixels), not a line across the box (113)


def test_a_short_stroke_longer_than_the_pen_is_wide_stays_a_stroke(canvas: Canvas) -> None:
    canvas.set_pen_width(6)
    draw_stroke(canvas, [(100.0, 100.0), (104.0, 100.0), (108.0, 100.0)])
    assert len(canvas.strokes()[0]) == 3


def test_each_mouse_move_paints_only_the_newest_piece_of_a_long_stroke(
    canvas: Canvas, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    painted: list[int] = []
    for name in ("stroke_path", "stroke_piece"):
        original = getattr(stroke_paths, name)  # what paint_ink draws with

        def spy(
            points: list[QPointF], *args: object, _f: object = original, **kw: object
        ) -> object:
            painted.append(len(points))
            return _f(points, *args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(stroke_paths, name, spy)
    angles = np.linspace(0, 40 * np.pi, 3000)
    spiral = [(200 + a * np.cos(a), 150 + a * np.sin(a)) for a in angles]
    first = QPointF(*spiral[0])
    QApplication.sendEvent(canvas, mouse(canvas, QEvent.Type.MouseButtonPress, first))
    for n, xy in enumerate(spiral[1:]):
        QApplication.sendEvent(canvas, mouse(canvas, QEvent.Type.MouseMove, QPointF(*xy)))
        if n % 100 == 0:
            QApplication.processEvents()  # let the canvas repaint mid-stroke
    assert len(painted) > 1000 and max(painted) <= 3
    image = canvas.grab().toImage()
    x, y = (int(v) for v in spiral[1500])
    assert image.pixelColor(x, y) == canvas.palette().color(QPalette.ColorRole.Text)


def test_undo_and_redo_step_through_the_strokes(canvas: Canvas) -> None:
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.3, 0.8)))
    draw_stroke(canvas, relative_line(canvas, (0.6, 0.2), (0.6, 0.8)))
    canvas.undo()
    assert len(canvas.strokes()) == 1
    canvas.undo()
    assert canvas.strokes() == ()
    canvas.redo()
    canvas.redo()
    assert len(canvas.strokes()) == 2
    canvas.undo()
    draw_stroke(canvas, relative_line(canvas, (0.2, 0.5), (0.8, 0.5)))
    assert not canvas.history.can_redo  # a new stroke drops the redo branch


@pytest.mark.parametrize("key", [Qt.Key.Key_Escape, Qt.Key.Key_Delete])
def test_escape_or_delete_on_the_canvas_clears_it_and_clear_is_undoable(
    canvas: Canvas, qtbot: QtBot, key: Qt.Key
) -> None:
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.3, 0.8)))
    seen: list[object] = []
    canvas.strokes_changed.connect(seen.append)
    qtbot.keyClick(canvas, key)
    assert canvas.strokes() == () and seen == [()]
    canvas.undo()
    assert len(canvas.strokes()) == 1


def test_the_eraser_removes_only_the_strokes_it_touches(canvas: Canvas) -> None:
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.3, 0.8)))
    draw_stroke(canvas, relative_line(canvas, (0.7, 0.2), (0.7, 0.8)))
    kept = canvas.strokes()[1]
    canvas.set_eraser(True)
    draw_stroke(canvas, relative_line(canvas, (0.25, 0.5), (0.35, 0.5), steps=4))
    assert canvas.strokes() == (kept,)
    canvas.undo()
    assert len(canvas.strokes()) == 2


def test_resizing_keeps_the_strokes_and_scales_them_with_the_window(
    canvas: Canvas, qtbot: QtBot
) -> None:
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.6, 0.8)))
    before = canvas.strokes()
    canvas.resize(800, 600)
    qtbot.wait(10)
    canvas.grab()  # repaints from the vectors at the new size
    assert canvas.strokes() is before
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.6, 0.8)))
    np.testing.assert_allclose(canvas.strokes()[1][[0, -1]], before[0][[0, -1]], atol=2)


def test_a_resize_in_the_middle_of_a_stroke_keeps_what_was_drawn_where_it_was_drawn(
    canvas: Canvas, qtbot: QtBot
) -> None:
    """The stroke in progress was kept in widget pixels and turned into canvas units only at
    its release, by the new size: a stroke begun at the end of another ended far from it."""
    draw_stroke(canvas, relative_line(canvas, (0.5, 0.2), (0.5, 0.5)))
    drag = relative_line(canvas, (0.5, 0.5), (0.6, 0.5), steps=7)  # (200, 150) → (240, 150)
    press_and_drag(canvas, drag)
    scale, dx, dy = canvas.widget_transform()
    old_x, old_y = drag[3]
    middle = ((old_x - dx) / scale, (old_y - dy) / scale)  # a point of it, in canvas units
    canvas.resize(800, 600)  # a window maximised with the pen down
    qtbot.waitUntil(lambda: canvas.width() == 800)
    scale, dx, dy = canvas.widget_transform()
    image = canvas.grab().toImage()  # the stroke so far is painted again at the new size
    ink = canvas.palette().color(QPalette.ColorRole.Text)
    assert image.pixelColor(round(middle[0] * scale + dx), round(middle[1] * scale + dy)) == ink
    assert image.pixelColor(round(old_x), round(old_y)) != ink  # not at its old pixels
    release(canvas, (500.0, 300.0))
    first, second = canvas.strokes()
    np.testing.assert_allclose(second[0], first[-1], atol=1)  # it starts where the first ends
    np.testing.assert_allclose(second[3], middle, atol=1)


def test_the_history_is_plain_python_and_ignores_no_op_changes() -> None:
    history = StrokeHistory()
    assert not history.clear()
    history.add(np.zeros((2, 2), np.float32))
    assert history.can_undo and not history.replace(history.strokes)


def test_a_reset_history_is_empty_with_nothing_to_undo_or_redo() -> None:
    history = StrokeHistory()
    assert not history.reset()
    history.add(np.zeros((2, 2), np.float32))
    history.add(np.ones((2, 2), np.float32))
    history.undo()
    assert history.reset() and history.strokes == ()
    assert not history.can_undo and not history.can_redo and not history.reset()


def test_strokes_touching_measures_distance_to_segments_not_only_points() -> None:
    stroke = np.array([[0, 0], [100, 0]], np.float32)
    assert strokes_touching((stroke,), 50, 5, 6) == [0]
    assert strokes_touching((stroke,), 50, 20, 6) == []


def test_the_undo_history_is_bounded_so_long_sessions_stay_small() -> None:
    from ocrpad.app.draw.strokes import MAX_UNDO

    history = StrokeHistory()
    for _ in range(MAX_UNDO + 50):
        history.add(np.zeros((2, 2), np.float32))
    steps = 0
    while history.undo():
        steps += 1
    assert steps == MAX_UNDO


def test_a_tablet_pen_draws_and_its_eraser_end_erases(canvas: Canvas) -> None:
    pen_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.3, 0.8)))
    pen_stroke(canvas, relative_line(canvas, (0.7, 0.2), (0.7, 0.8)))
    assert len(canvas.strokes()) == 2
    pen_stroke(canvas, relative_line(canvas, (0.25, 0.5), (0.35, 0.5), steps=4), eraser=True)
    assert len(canvas.strokes()) == 1 and not canvas.eraser()


def test_clear_or_undo_while_the_eraser_is_held_down_ends_the_erasure(
    canvas: Canvas, qtbot: QtBot
) -> None:
    """The held eraser kept the strokes by their places; Escape under it emptied the drawing
    and the next paint crashed the app."""
    draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.3, 0.8)))
    draw_stroke(canvas, relative_line(canvas, (0.7, 0.2), (0.7, 0.8)))
    canvas.set_eraser(True)
    line = relative_line(canvas, (0.1, 0.1), (0.2, 0.1), steps=2)
    start, end = line[0], line[-1]
    QApplication.sendEvent(canvas, mouse(canvas, QEvent.Type.MouseButtonPress, QPointF(*start)))
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    canvas.repaint()  # no crash
    QApplication.sendEvent(canvas, mouse(canvas, QEvent.Type.MouseMove, QPointF(*end)))
    at = QPointF(*end)
    release = QMouseEvent(
        QEvent.Type.MouseButtonRelease,
        at,
        QPointF(canvas.mapToGlobal(at)),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(canvas, release)
    assert canvas.strokes() == ()
    canvas.undo()  # the Clear undone: both strokes back, none lost to the old drag
    assert len(canvas.strokes()) == 2
    QApplication.sendEvent(canvas, mouse(canvas, QEvent.Type.MouseButtonPress, QPointF(*start)))
    canvas.undo()  # Ctrl+Z in the middle of a drag: the second stroke goes
    canvas.repaint()
    QApplication.sendEvent(canvas, release)  # and the old drag does not put it back
    assert len(canvas.strokes()) == 1 and canvas.history.can_redo
    canvas.redo()
    assert len(canvas.strokes()) == 2


def test_a_pens_barrel_button_neither_draws_nor_cuts_a_stroke(canvas: Canvas) -> None:
    left, right, none = (
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.RightButton,
        Qt.MouseButton.NoButton,
    )

    def send(kind: QEvent.Type, y: float, button: Qt.MouseButton, held: Qt.MouseButton) -> None:
        pen_event(canvas, kind, (200, y), button, held)

    send(QEvent.Type.TabletPress, 60, right, right)  # hovering, the side button pressed
    send(QEvent.Type.TabletMove, 120, none, right)
    send(QEvent.Type.TabletRelease, 120, right, none)
    assert canvas.strokes() == ()
    send(QEvent.Type.TabletPress, 40, left, left)  # the tip down, then the side button
    send(QEvent.Type.TabletMove, 140, none, left)
    send(QEvent.Type.TabletPress, 140, right, left | right)
    send(QEvent.Type.TabletMove, 200, none, left | right)
    send(QEvent.Type.TabletRelease, 200, right, left)
    send(QEvent.Type.TabletMove, 260, none, left)
    send(QEvent.Type.TabletRelease, 260, left, none)
    (stroke,) = canvas.strokes()
    scale, _, dy = canvas.widget_transform()
    ys = stroke[:, 1] * scale + dy
    assert ys.min() == pytest.approx(40, abs=1) and ys.max() == pytest.approx(260, abs=1)


def test_undo_past_an_opened_picture_shows_the_strokes_without_it(canvas: Canvas) -> None:
    from PySide6.QtGui import QImage

    draw_stroke(canvas, relative_line(canvas, (0.3, 0.2), (0.3, 0.8)))
    canvas.clear()  # as Open image does, then the picture
    picture = QImage(40, 40, QImage.Format.Format_Grayscale8)
    picture.fill(255)
    canvas.set_background(picture)
    canvas.undo()
    assert len(canvas.strokes()) == 1 and canvas.background() is None


def mouse(widget: Canvas, kind: QEvent.Type, pos: QPointF) -> QMouseEvent:
    """A left-button press or a move with the left button held, at `pos`."""
    button = (
        Qt.MouseButton.LeftButton
        if kind == QEvent.Type.MouseButtonPress
        else Qt.MouseButton.NoButton
    )
    held = Qt.MouseButton.LeftButton
    global_pos = QPointF(widget.mapToGlobal(pos))
    return QMouseEvent(kind, pos, global_pos, button, held, Qt.KeyboardModifier.NoModifier)
