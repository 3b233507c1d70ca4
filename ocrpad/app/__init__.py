"""The PySide6 desktop app, in rooms.

The window shell lives here: ``main`` (start-up), ``main_window`` (the one place that wires
widgets to workers), ``actions`` (menus and shortcuts), ``theme``, ``about``, and two small
helpers every room may use (``qt_numpy``: arrays to images; ``colormap``). The rooms:
``draw/`` (the Draw tab: canvas, answer, chart, feature maps, the recognition worker),
``train/`` (the Train tab: collecting, browsing, fine-tuning and its worker) and ``explain/``
(heat maps, dreams and their worker). Rooms import the shell's helpers and, where a widget is
shared, ``draw``'s widgets; they never import ``main_window``: it hands them what they need
(see each room's ``__init__``). Only workers (and the window that wires them) import the engine,
model or preprocessing; widgets draw what they are given. Nothing outside ``ocrpad.app`` imports
it.
"""
