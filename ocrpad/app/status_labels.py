"""The status bar's permanent labels: the model in use and, set apart by a rule, the version."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QStatusBar

from ocrpad import __version__


def add_status_labels(bar: QStatusBar) -> tuple[QLabel, QLabel]:
    """The model's label (its text set later) and the version's, with a vertical rule between
    them: side by side they read as one ("… · 94 classes ocrpad 0.1.0")."""
    model = QLabel()
    bar.addPermanentWidget(model)
    rule = QFrame()
    rule.setObjectName("statusRule")
    rule.setFrameShape(QFrame.Shape.VLine)
    rule.setFrameShadow(QFrame.Shadow.Sunken)
    bar.addPermanentWidget(rule)
    version = QLabel(f"ocrpad {__version__}")
    version.setObjectName("versionStatus")
    version.setToolTip(f"This is ocrpad {__version__} (Help ▸ About ocrpad)")
    bar.addPermanentWidget(version)
    return model, version
