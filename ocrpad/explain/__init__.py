"""Explanations built on the engine's own backward pass (no Qt).

Saliency, gradient x input, Grad-CAM and occlusion for one drawing; activation maximisation
("dreams") for classes and conv filters.
"""

from ocrpad.explain.attribution import (
    METHODS,
    Method,
    grad_cam,
    grad_cam_on_input,
    gradient_times_input,
    heatmap,
    occlusion,
    saliency,
)

__all__ = [
    "METHODS",
    "Method",
    "grad_cam",
    "grad_cam_on_input",
    "gradient_times_input",
    "heatmap",
    "occlusion",
    "saliency",
]
