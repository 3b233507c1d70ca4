"""The writer's frame of one reading: their scale, mix and baseline from the drawings the
reader has seen of theirs, or from the writing guides on the canvas."""

from __future__ import annotations

import numpy as np

from ocrpad.reading.context import ContextLayer, Frame
from ocrpad.reading.geometry import WritingGuides, guide_scale, tells_size
from ocrpad.reading.memory import Seen


def seen_frame(
    context: ContextLayer | None, seen: list[Seen], guides: WritingGuides | None
) -> Frame | None:
    """The writer's frame (one row) from the guides and/or history, or None."""
    if context is None:
        return None
    base = spread = float("nan")
    lined = 0.5
    if seen:
        scale, theta, base, spread, lined = context.writer_frame(
            np.array([s.size.log_height for s in seen]),
            np.stack([s.probs for s in seen]),
            np.array([s.size.bottom for s in seen]),
            np.array([s.size.top for s in seen]),
            log_widths=np.array([s.size.log_width for s in seen]),
        )
    else:
        scale, theta = float("nan"), context.group_prior
    from_guides = guides_scale(context, guides)
    if from_guides is not None and guides is not None:  # the guides are a line of writing
        scale, base, spread, lined = from_guides, guides.baseline, context.guide_spread, 1.0
    if not np.isfinite(scale):
        return None
    one = np.ones(1)
    return Frame(one * scale, theta[None, :], one * base, one * spread, one * lined, one)


def usual_height(seen: list[Seen]) -> float | None:
    """The history's median height, flat strokes left out as the scale leaves them
    (`geometry.tells_size`), or None."""
    heights = np.array([s.size.log_height for s in seen])
    heights = heights[tells_size(heights, [s.size.log_width for s in seen])]
    return float(np.exp(np.median(heights))) if len(heights) else None


def guides_scale(context: ContextLayer | None, guides: WritingGuides | None) -> float | None:
    """The writer's log scale the guides stand for, or None (no guides or no context layer,
    or lines out of order): when it is known, it is the frame's scale."""
    if guides is None or context is None:
        return None
    return guide_scale(guides, context.labels, context.height_mu)
