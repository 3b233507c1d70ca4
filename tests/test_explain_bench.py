"""The explanation timings ocrpad-bench prints."""

from __future__ import annotations

import numpy as np

from ocrpad.devtools.explain_timings import explain_timings
from ocrpad.model import ConvBlock, ModelConfig, build_model


def test_explain_timings_report_every_figure_in_milliseconds() -> None:
    config = ModelConfig(blocks=(ConvBlock(2), ConvBlock(3, pool=True)), hidden=(4,))
    model = build_model(config, list("xyz"), np.random.default_rng(0))
    timings = explain_timings(model)
    assert set(timings) == {
        "heatmap_occlusion_ms",
        "heatmap_gradcam_ms",
        "heatmap_saliency_ms",
        "dream_class_ms",
        "dream_per_class_in_gallery_ms",
        "neuron_trace_ms",
    }
    assert all(np.isfinite(v) and v > 0 for v in timings.values())
