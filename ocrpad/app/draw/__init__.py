"""The Draw tab: the canvas and everything that shows what the network makes of a drawing.

``canvas`` and ``strokes`` (the drawing and its undo history), ``input_preview`` (the 28x28
input), ``prediction_panel`` and ``prob_chart`` (the answer and the bar chart),
``feature_maps`` and ``map_dialog`` (what each layer sees, one map enlarged), ``tile_keys``
(the arrow keys over their maps and cells), ``tab`` (their layout; ``flow``: a row of tools
that wraps where it is too narrow), ``prediction`` (the frozen records a recognition produces)
and ``worker`` (the recognition worker thread). Widgets here
import only Qt, numpy and the shell's helpers (``ocrpad.app.qt_numpy``, ``ocrpad.app.colormap``);
only ``worker`` imports the model and preprocessing. Nothing here imports the other rooms or
the main window.
"""
