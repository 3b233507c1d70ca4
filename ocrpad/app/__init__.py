"""The PySide6 desktop app: the drawing window, its widgets and the recognition worker."""
