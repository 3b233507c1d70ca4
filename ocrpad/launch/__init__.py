"""The ``ocrpad`` command's jobs besides opening the window (no Qt at import time).

``selftest`` (``--self-test``: load the weights, read the built-in drawings, check the data
folder), ``read_picture`` (``--read PICTURE``: one answer without the window),
``desktop_entry`` (``--install-desktop-entry`` / ``--uninstall-desktop-entry`` on Linux),
``qt_libraries`` (name the system libraries Qt's X11 plugin lacks before Qt aborts) and
``console`` (a windowed Windows build attaches to the console it was started from).
``ocrpad/__main__.py`` dispatches to them. They may import the core (model, preprocessing,
resources); never the app or the developer tools.
"""
