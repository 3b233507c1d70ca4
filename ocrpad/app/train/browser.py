"""Browse the saved samples: classes with counts, a grid of drawings, one enlarged; relabel and
delete (with undo)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from PySide6.QtCore import QEvent, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ocrpad.app.draw.picture import in_documents
from ocrpad.app.train.browser_items import (
    ID_ROLE,
    ClassEntries,
    ThumbnailEntries,
    details_html,
    empty_text,
    fill_classes,
    strokes_pixmap,
    thumbnail_item,
)
from ocrpad.app.train.exchange import import_said
from ocrpad.app.train.exporter import SampleExporter
from ocrpad.app.train.grid_rows import choose, entries_of, put_in, take_out
from ocrpad.app.train.importer import SampleImporter
from ocrpad.app.train.short_texts import ShortWhenNarrowButton
from ocrpad.app.train.tips import named
from ocrpad.app.words import plural
from ocrpad.data import samples_io
from ocrpad.data.samples import Sample, SampleStore, StoreError, Taken, validate_label

LARGE: Final = 88
GRID: Final = 1000  # the newest drawings of a class shown (a thumbnail each costs ~1 ms)
UNDO_DELETE: Final = "&Undo delete"  # "Undo" where the column is narrow
NPZ_FILTER: Final = "Stroke arrays (*.npz)"
PNG_FILTER: Final = "PNG folders, one per character (*)"


class SampleBrowser(QWidget):
    """Left: classes with counts. Right: the class's drawings; below: the chosen one, large."""

    changed = Signal()  # samples were relabelled, deleted, restored or imported (or re-read)
    message = Signal(str)
    import_done = Signal()  # an import ended (added, refused, failed or cancelled)

    def __init__(self, store: SampleStore | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleBrowser")
        self.store = store
        self.deleted: list[list[Taken]] = []  # undo stack of deleted batches
        self._import_name = ""
        self.importer = SampleImporter(self)
        self.importer.done.connect(self._imported)
        self.importer.failed.connect(self._import_failed)
        self.exporter = SampleExporter(self)
        self.exporter.done.connect(lambda _, said: self.message.emit(said))
        self.classes = named(QListWidget(), "sampleClasses")
        self.classes.setAccessibleName("Classes with sample counts")
        font = self.classes.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.classes.setFont(font)
        ClassEntries(self.classes, self.font())  # the counts in the usual size
        self.grid = named(QListWidget(), "sampleGrid")
        self.grid.setAccessibleName("Samples of the selected class")
        ThumbnailEntries(self.grid)  # rows of drawings that wrap, each alone in its cell
        self.large = named(QLabel(), "sampleLarge")
        self.large.setFixedSize(LARGE, LARGE)
        self.large.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.details = named(QLabel("Click a drawing to see it large"), "sampleDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)  # what goes in is escaped
        self.relabel_button = named(QPushButton("&Relabel…"), "relabelButton")
        self.delete_button = named(QPushButton("De&lete"), "deleteButton")
        self.undo_button = named(ShortWhenNarrowButton(UNDO_DELETE, "&Undo"), "undoDeleteButton")
        self.export_button = named(QPushButton("E&xport…"), "exportButton")
        self.import_button = named(QPushButton("I&mport…"), "importButton")
        self._layout()
        self.classes.currentTextChanged.connect(lambda _: self._fill_grid())
        self.grid.currentItemChanged.connect(lambda *_: self._show_current())
        self.relabel_button.clicked.connect(self._ask_relabel)
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button.clicked.connect(self.undo_delete)
        self.export_button.clicked.connect(self._ask_export)
        self.exporter.running.connect(lambda running: self.export_button.setEnabled(not running))
        self.import_button.clicked.connect(self._ask_import)
        self.importer.running.connect(lambda running: self.import_button.setEnabled(not running))
        delete_key = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.grid)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.setAutoRepeat(False)  # held down, it deletes one drawing, not one per repeat
        delete_key.activated.connect(self.delete_selected)
        self.refresh()

    def _layout(self) -> None:
        side = QVBoxLayout()
        side.addWidget(self.large)
        side.addWidget(self.details)
        side.addWidget(self.relabel_button)
        side.addWidget(self.delete_button)
        side.addWidget(self.undo_button)
        side.addSpacing(12)
        side.addWidget(self.export_button)
        side.addWidget(self.import_button)
        side.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.classes)
        row.addWidget(self.grid, 1)
        row.addLayout(side)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)  # a new theme or screen: the drawing in its colours
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.DevicePixelRatioChange):
            self._show_current()  # (the grid's delegate draws the thumbnails again)

    # -- state ---------------------------------------------------------------------------
    def current_label(self) -> str | None:
        item = self.classes.currentItem()
        return None if item is None else str(item.data(ID_ROLE))

    def selected_ids(self) -> list[int]:
        return [int(item.data(ID_ROLE)) for item in self.grid.selectedItems()]

    def refresh(self, select: str | None = None) -> None:
        """Re-read the counts; keep (or move to) the selected class. With none selected, the
        first is; a selected class that went leaves none (not another class's drawing)."""
        counts = self._counts()
        keep = select or self.current_label() or next(iter(counts), None)
        fill_classes(self.classes, counts, keep)
        self.undo_button.setEnabled(bool(self.deleted))
        self._fill_grid()

    def show_saved(self, sample_ids: Sequence[int]) -> None:
        """Drawings were just saved: count them in their classes, and add the thumbnails of
        those in the class shown, the newest chosen. The grid is not built again (a thousand
        thumbnails took over a second at every Save); the class shown stays (the saved one
        if none was)."""
        if not sample_ids or self.store is None:
            return
        shown = self.current_label()
        try:
            saved = [self.store.get(sample_id) for sample_id in sample_ids]
        except (KeyError, StoreError):  # gone or unreadable since: read everything again
            self.refresh()
            return
        counts = self._counts()
        fill_classes(self.classes, counts, shown if shown in counts else saved[-1].label)
        if self.current_label() != shown:  # none was shown, or the class went meanwhile
            self._fill_grid()
            return
        added = [thumbnail_item(sample, self.grid) for sample in saved if sample.label == shown]
        choose(self.grid, put_in(self.grid, added, GRID)[-1:])  # the newest, at the end

    def _show_deleted(self, sample_ids: Sequence[int]) -> None:
        """Deleted drawings: counted, and their entries taken out of the grid, the others left
        as they are (the next one chosen); a class they emptied leaves none chosen."""
        shown, counts = self.current_label(), self._counts()
        fill_classes(self.classes, counts, shown)
        if shown is None or self.current_label() != shown:
            self._fill_grid()  # the class went: empty
            return
        with QSignalBlocker(self.grid):  # one drawing shown large at the end, not one a row
            following = take_out(self.grid, sample_ids)
            missing = min(counts[shown], GRID) - self.grid.count()
            if missing > 0:  # a class of more than GRID: older ones move up into the grid
                put_in(self.grid, self._entries(shown, self.grid.count() + missing), GRID)
            choose(self.grid, [following] if following is not None else [])
        self._show_current()

    def _show_restored(self, batch: Sequence[Sample]) -> None:
        """Restored drawings: counted, put back in the grid at their place and chosen; the
        grid is built only if their class was not the one shown."""
        shown = self.current_label()
        fill_classes(self.classes, self._counts(), batch[0].label)
        if self.current_label() != shown:
            self._fill_grid()  # another class: built, with them
        else:
            back = [thumbnail_item(sample, self.grid) for sample in batch if sample.label == shown]
            put_in(self.grid, back, GRID)
        choose(self.grid, entries_of(self.grid, [sample.id for sample in batch]))

    def _counts(self) -> dict[str, int]:
        if self.store is None:
            return {}
        try:
            return self.store.counts_by_label()
        except StoreError as exc:
            self.message.emit(str(exc))
            return {}

    def _entries(self, label: str | None, newest: int | None = None) -> list[QListWidgetItem]:
        """Entries for the `newest` (GRID) drawings of `label`, oldest first (none if
        unreadable)."""
        newest = GRID if newest is None else newest
        try:
            store = self.store
            samples = [] if label is None or store is None else store.samples(label, newest=newest)
        except StoreError as exc:
            self.message.emit(str(exc))
            samples = []
        return [thumbnail_item(sample, self.grid) for sample in samples]

    def _fill_grid(self) -> None:
        """Build the grid of the class chosen (cheap: a picture is drawn when first shown)."""
        self.grid.clear()
        for item in self._entries(self.current_label()):
            self.grid.addItem(item)
        if self.grid.count():
            self.grid.setCurrentRow(0)
        self._show_current()

    def _show_current(self) -> None:
        item = self.grid.currentItem()
        has = item is not None and self.store is not None
        self.relabel_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        if item is None or self.store is None:
            self.large.clear()
            self.details.setText(empty_text(self.store, chosen=self.current_label() is not None))
            return
        try:
            sample = self.store.get(int(item.data(ID_ROLE)))
        except (KeyError, StoreError) as exc:
            self.large.clear()
            self.details.setText(html.escape(str(exc)))
            return
        self.large.setPixmap(strokes_pixmap(sample.strokes, LARGE, self))
        self.details.setText(details_html(sample))

    # -- actions -------------------------------------------------------------------------
    def _ask_relabel(self) -> None:
        label, ok = QInputDialog.getText(self, "Relabel", "The character these drawings show:")
        if ok and label:
            self.relabel_selected(label)

    def relabel_selected(self, label: str) -> bool:
        """Relabel the selected drawings, all or none (spaces round `label` dropped); False if
        refused. If the store refused, what it holds now is shown."""
        ids = self.selected_ids()
        if self.store is None or not ids:
            return False
        label = label.strip() or label
        try:
            self.store.relabel_many(ids, label)
        except ValueError as exc:  # not a label: the drawings stay chosen for another try
            self.message.emit(str(exc))
            return False
        except (KeyError, StoreError) as exc:  # KeyError: deleted meanwhile (another window)
            self.message.emit(f"Nothing was relabelled: {exc}")
            self.refresh()
            self.changed.emit()
            return False
        self.refresh(select=validate_label(label))
        self.changed.emit()
        return True

    def delete_selected(self) -> int:
        """Delete the selected drawings in one transaction, all or none (undoable); returns
        how many."""
        if self.store is None:
            return 0
        try:
            batch = self.store.delete_taking(self.selected_ids())
        except (KeyError, StoreError) as exc:
            self.message.emit(f"Nothing was deleted: {exc}")
            self.refresh()  # gone meanwhile (another window) or unreadable: read it all again
            batch = []
        else:
            self._show_deleted([taken.sample.id for taken in batch])
        if batch:
            self.deleted.append(batch)
            self.message.emit(
                f"Deleted {plural(len(batch), 'drawing')} — “Undo delete” brings them back"
            )
        self.undo_button.setEnabled(bool(self.deleted))
        self.changed.emit()
        return len(batch)

    def undo_delete(self) -> bool:
        """Restore the most recently deleted drawings in one transaction, all or none."""
        if self.store is None or not self.deleted:
            return False
        try:
            self.store.restore_many(self.deleted[-1])
        except (ValueError, StoreError) as exc:  # kept on the stack for another try
            self.message.emit(f"Nothing was restored: {exc}")
            return False
        self._show_restored([taken.sample for taken in self.deleted.pop()])
        self.undo_button.setEnabled(bool(self.deleted))
        self.changed.emit()
        return True

    # -- exchange ------------------------------------------------------------------------
    def _ask_export(self) -> None:
        path, kind = QFileDialog.getSaveFileName(
            self,
            "Export drawings",
            in_documents("ocrpad-samples.npz"),
            f"{NPZ_FILTER};;{PNG_FILTER}",
        )
        if path:
            self.export_to(Path(path), png_folders=kind == PNG_FILTER)

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import drawings", in_documents(), NPZ_FILTER)
        if path:
            self.import_from(Path(path))

    def export_to(self, path: Path, *, png_folders: bool = False) -> bool:
        """Start writing every drawing to ``path`` (.npz, or a folder of PNG folders) in the
        background (``exporter.done`` when it ends); False if it could not start."""
        if self.store is None or not self.exporter.start(self.store, path, png_folders=png_folders):
            self.message.emit("An export is already running" if self.store else "No sample store")
            return False
        self.message.emit(f"Exporting to {path.name}…")
        return True

    def import_from(self, path: Path) -> bool:
        """Start adding the drawings of a stroke-array .npz in the background (all or none;
        ``import_done`` when it ends); False if it could not start."""
        if self.store is None or not self.importer.start(self.store, path):
            self.message.emit("An import is already running" if self.store else "No sample store")
            return False
        self._import_name = path.name
        return True

    def _imported(self, result: samples_io.ImportResult) -> None:
        self.message.emit(import_said(result, self._import_name))
        self.refresh()
        self.changed.emit()
        self.import_done.emit()

    def _import_failed(self, reason: str) -> None:
        self.message.emit(f"Import failed: {reason}")
        self.import_done.emit()
