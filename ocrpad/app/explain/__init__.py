"""Explanations in the window: heat maps over the drawing, the class dreams, their worker.

``overlay`` (a heat map drawn over the canvas and the input), ``gallery`` (the dreams dialog),
``worker`` (the explanation thread, built on ``ocrpad.explain``), ``methods`` (the heat-map
methods and the Heat map button with their menu) and ``controller`` (the menu,
the chart's clicks and the worker, connected to the window through the small ``ExplainHost``
protocol). It may import ``ocrpad.app.draw``'s records and widgets and ``ocrpad.explain``;
never the train room or the main window.
"""
