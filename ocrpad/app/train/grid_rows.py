"""The samples grid kept in step with the store without building it again: drawings put in at
their place and taken out by id. The grid shows a class's newest drawings, oldest first (by id)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Sequence

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from ocrpad.app.train.browser_items import ID_ROLE


def shown_ids(grid: QListWidget) -> list[int]:
    """The ids of the drawings in `grid`, in its order."""
    return [int(grid.item(row).data(ID_ROLE)) for row in range(grid.count())]


def put_in(
    grid: QListWidget, entries: Sequence[QListWidgetItem], limit: int
) -> list[QListWidgetItem]:
    """Insert each of `entries` (see ``thumbnail_item``) whose drawing is not shown yet at its
    place by id; then the oldest go while more than `limit` are shown. Returns the new
    entries still shown, oldest first."""
    ids = shown_ids(grid)
    added: list[QListWidgetItem] = []
    for item in sorted(entries, key=lambda entry: int(entry.data(ID_ROLE))):
        sample_id = int(item.data(ID_ROLE))
        row = bisect_left(ids, sample_id)
        if row < len(ids) and ids[row] == sample_id:
            continue  # shown already
        grid.insertItem(row, item)
        ids.insert(row, sample_id)
        added.append(item)
    while grid.count() > limit:
        grid.takeItem(0)
    return [item for item in added if item.listWidget() is grid]


def take_out(grid: QListWidget, sample_ids: Collection[int]) -> QListWidgetItem | None:
    """Remove the entries of `sample_ids`, the others left as they are; returns the entry now
    where the first removed one was (the next, or the last), None if none was removed."""
    wanted = set(sample_ids)
    rows = [row for row, sample_id in enumerate(shown_ids(grid)) if sample_id in wanted]
    for row in reversed(rows):
        grid.takeItem(row)
    return grid.item(min(rows[0], grid.count() - 1)) if rows and grid.count() else None


def entries_of(grid: QListWidget, sample_ids: Collection[int]) -> list[QListWidgetItem]:
    """The entries of those of `sample_ids` that `grid` shows, in its order."""
    wanted = set(sample_ids)
    return [grid.item(row) for row, i in enumerate(shown_ids(grid)) if i in wanted]


def choose(grid: QListWidget, entries: Sequence[QListWidgetItem]) -> None:
    """Choose `entries` (of `grid`) alone, the first current and scrolled to (none: as is)."""
    if entries:
        grid.setCurrentItem(entries[0], QItemSelectionModel.SelectionFlag.ClearAndSelect)
        for item in entries[1:]:
            item.setSelected(True)
        grid.scrollToItem(entries[0])
