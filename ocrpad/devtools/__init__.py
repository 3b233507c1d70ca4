"""Developers' tools: benchmarks, screenshots and evaluation scripts. Not part of the app.

``build.spec`` leaves this package out of the bundle, and nothing in the app, the engine or
learning imports it; only the commands in ``ocrpad.cli`` (``ocrpad-bench`` prints the window and
PyTorch comparisons from here) and the tests do. Each module runs as
``python -m ocrpad.devtools.<name>``: ``gui_bench`` (the window's stroke-to-answer latency and
stamina), ``explain_bench`` (a heat map after a prediction), ``explain_timings`` (explanation
costs without Qt), ``bench_app`` (both, for ``ocrpad-bench``), ``torch_twin`` (the shipped
network in PyTorch, when it is installed), ``finetune_eval`` (fine-tuning against its targets),
``make_rehearsal`` (the shipped rehearsal set), ``screenshot`` and ``dream_gallery`` (the
README's pictures), ``symbols`` (synthetic drawings of new symbols for fine-tuning tests).
"""
