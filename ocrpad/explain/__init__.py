"""Explanations built on the engine's own backward pass (no Qt).

Saliency, gradient x input, Grad-CAM, LayerCAM and occlusion for one drawing; activation
maximisation ("dreams") for classes and conv filters; neuron traces (the arithmetic behind
one unit of any layer); a per-model cache for the app's worker.
"""

from ocrpad.explain.attribution import (
    METHODS,
    Method,
    grad_cam,
    grad_cam_on_input,
    gradient_times_input,
    heatmap,
    layer_cam,
    occlusion,
    saliency,
)
from ocrpad.explain.dream import DreamSettings, dream, dream_classes, dream_filters
from ocrpad.explain.neuron import NeuronTracer, strongest_path, trace_neuron
from ocrpad.explain.neuron_trace import NeuronTrace, Unit
from ocrpad.explain.session import Explainer

__all__ = [
    "METHODS",
    "DreamSettings",
    "Explainer",
    "Method",
    "NeuronTrace",
    "NeuronTracer",
    "Unit",
    "dream",
    "dream_classes",
    "dream_filters",
    "grad_cam",
    "grad_cam_on_input",
    "gradient_times_input",
    "heatmap",
    "layer_cam",
    "occlusion",
    "saliency",
    "strongest_path",
    "trace_neuron",
]
