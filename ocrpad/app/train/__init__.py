"""The Train tab: collect labelled drawings, browse them, fine-tune and compare.

``collect`` (prompted and free labelling, reusing the Draw tab's canvas), ``browser`` (the
sample store's contents: relabel, delete, import, export), ``panel``, ``curves`` and
``results`` (the fine-tune's progress, live curves and before/after accuracy), ``worker`` (the
fine-tune in its own thread) and ``tab`` (the layout and its wiring to the window through the
small ``TrainHost`` protocol). It may import ``ocrpad.app.draw``'s canvas and strokes, the
sample store and the learning code's records; never the explain room or the main window.
"""
