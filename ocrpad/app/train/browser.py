"""Browse the saved samples: classes with counts, a grid of drawings, one enlarged; relabel and
delete (with undo)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
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
    fill_classes,
    strokes_pixmap,
    thumbnail_item,
)
from ocrpad.app.train.importer import SampleImporter
from ocrpad.app.train.tips import named
from ocrpad.app.words import plural
from ocrpad.data import samples_io
from ocrpad.data.samples import Sample, SampleStore, StoreError, validate_label

LARGE: Final = 88
GRID: Final = 1000  # the newest drawings of a class shown (a thumbnail each costs ~1 ms)
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
        self.deleted: list[list[Sample]] = []  # undo stack of deleted batches
        self._import_name = ""
        self.importer = SampleImporter(self)
        self.importer.done.connect(self._imported)
        self.importer.failed.connect(self._import_failed)
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
        self.undo_button = named(QPushButton("&Undo delete"), "undoDeleteButton")
        self.export_button = named(QPushButton("E&xport…"), "exportButton")
        self.import_button = named(QPushButton("I&mport…"), "importButton")
        self._layout()
        self.classes.currentTextChanged.connect(lambda _: self._fill_grid())
        self.grid.currentItemChanged.connect(lambda *_: self._show_current())
        self.relabel_button.clicked.connect(self._ask_relabel)
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button.clicked.connect(self.undo_delete)
        self.export_button.clicked.connect(self._ask_export)
        self.import_button.clicked.connect(self._ask_import)
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
        for item in added:
            self.grid.addItem(item)
        while self.grid.count() > GRID:
            self.grid.takeItem(0)  # the oldest: the grid shows a class's newest GRID
        if added:
            self.grid.setCurrentItem(added[-1], QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.grid.scrollToItem(added[-1])

    def _counts(self) -> dict[str, int]:
        if self.store is None:
            return {}
        try:
            return self.store.counts_by_label()
        except StoreError as exc:
            self.message.emit(str(exc))
            return {}

    def _fill_grid(self) -> None:
        self.grid.clear()
        label = self.current_label()
        try:
            store = self.store
            samples = [] if label is None or store is None else store.samples(label, newest=GRID)
        except StoreError as exc:
            self.message.emit(str(exc))
            samples = []
        for sample in samples:
            self.grid.addItem(thumbnail_item(sample, self.grid))
        if samples:
            self.grid.setCurrentRow(0)
        self._show_current()

    def _empty_text(self) -> str:
        if self.store is None:
            return "No sample store"
        try:
            empty = self.store.count() == 0
        except StoreError:
            return "Your drawings cannot be read right now"
        chosen = self.current_label() is not None
        hint = "Click a drawing to see it large" if chosen else "Choose a character on the left"
        return "No drawings yet" if empty else hint

    def _show_current(self) -> None:
        item = self.grid.currentItem()
        has = item is not None and self.store is not None
        self.relabel_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        if item is None or self.store is None:
            self.large.clear()
            self.details.setText(self._empty_text())
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
        """Delete the selected drawings (undoable); returns how many."""
        if self.store is None:
            return 0
        batch: list[Sample] = []
        try:
            for sample_id in self.selected_ids():
                batch.append(self.store.delete(sample_id))
        except (KeyError, StoreError) as exc:
            self.message.emit(str(exc))
        if batch:
            self.deleted.append(batch)
            self.message.emit(
                f"Deleted {plural(len(batch), 'drawing')} — “Undo delete” brings them back"
            )
        self.refresh()
        self.changed.emit()
        return len(batch)

    def undo_delete(self) -> bool:
        """Restore the most recently deleted drawings."""
        if self.store is None or not self.deleted:
            return False
        batch = self.deleted.pop()
        try:
            for k, sample in enumerate(batch):  # noqa: B007 (k is used after an error)
                self.store.restore(sample)
        except (ValueError, StoreError) as exc:
            self.deleted.append(batch[k:])
            self.message.emit(str(exc))
            return False
        self.refresh(select=batch[0].label)
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

    def export_to(self, path: Path, *, png_folders: bool = False) -> int:
        """Write every drawing to ``path`` (.npz, or a folder of PNG folders); returns the count."""
        if self.store is None:
            return 0
        target = path.with_suffix("") if png_folders else path
        try:
            if png_folders:
                count = samples_io.export_png_folders(self.store, target)
            else:
                count = samples_io.export_npz(self.store, target)
        except (OSError, ValueError, StoreError) as exc:
            self.message.emit(f"Export failed: {exc}")
            return 0
        damaged = len(self.store.damaged)
        note = f" ({plural(damaged, 'damaged drawing')} left out)" if damaged else ""
        self.message.emit(f"Exported {plural(count, 'drawing')} to {target}{note}")
        return count

    def import_from(self, path: Path) -> bool:
        """Start adding the drawings of a stroke-array .npz in the background (all or none;
        ``import_done`` when it ends); False if it could not start."""
        if self.store is None or not self.importer.start(self.store, path):
            self.message.emit("An import is already running" if self.store else "No sample store")
            return False
        self._import_name = path.name
        return True

    def _imported(self, result: samples_io.ImportResult) -> None:
        name = self._import_name
        if result.cancelled:
            self.message.emit(f"Import of {name} cancelled: nothing was added")
        else:
            skipped = result.skipped
            note = f"; {len(skipped)} skipped, e.g. {skipped[0]}" if skipped else ""
            self.message.emit(f"Imported {plural(len(result.ids), 'drawing')} from {name}{note}")
        self.refresh()
        self.changed.emit()
        self.import_done.emit()

    def _import_failed(self, reason: str) -> None:
        self.message.emit(f"Import failed: {reason}")
        self.import_done.emit()
