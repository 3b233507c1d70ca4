"""What a reader remembers of earlier drawings, so that a drawing read once costs no second
network pass when it joins the history."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.model import Model
from ocrpad.nn.functional import softmax
from ocrpad.preprocess import EmptyDrawingError, RenderParams, render_strokes
from ocrpad.reading.geometry import Size, size_of

F64 = NDArray[np.float64]
Drawing = Sequence[ArrayLike]
CACHE_SIZE: Final = 512  # earlier drawings remembered


@dataclass(frozen=True)
class Seen:
    """What the reader keeps of one earlier drawing."""

    size: Size
    probs: F64  # (C,) how it counts as history, over the model's labels: the network's
    # probabilities, the reader's answer (`answered`) or the given class (`told`)
    logits: F64  # (C,) the network's logits (with the device correction, `reading.device`)
    key: bytes  # `history.drawing_key`
    told: bool = False  # the class was given (`reader.Labelled`)
    answered: bool = False  # probs are the reader's answer (`ContextLayer.reads_history`)
    plain: F64 | None = None  # (C,) the logits it counts by when they differ from `logits`
    # (without the trace network's term, `TraceNet.in_history`); None: `logits`

    @property
    def counted_logits(self) -> F64:
        """(C,) the logits by which the reader answers it as history."""
        return self.logits if self.plain is None else self.plain


class Memory:
    """Earlier drawings by `drawing_key`, the most recently used last, at most `CACHE_SIZE`;
    a drawing without usable ink is remembered as None."""

    def __init__(self) -> None:
        self._items: OrderedDict[bytes, Seen | None] = OrderedDict()

    def __contains__(self, key: bytes) -> bool:
        return key in self._items

    def get(self, key: bytes) -> Seen | None:
        """The drawing remembered under `key` (None: junk or unknown), now the most recent."""
        if key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: bytes, item: Seen | None) -> None:
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > CACHE_SIZE:
            self._items.popitem(last=False)

    def learn(
        self,
        model: Model,
        params: RenderParams,
        drawings: list[tuple[bytes, Drawing]],
        correct: Callable[[F64, list[Drawing], F64], tuple[F64, F64 | None]] | None = None,
    ) -> None:
        """Render new drawings and read them with the network in one batch; `correct` maps
        their logits (n, C), the drawings and their coarseness (n,) to the logits the reader
        reads them by and those it counts them by as history, or None when the same
        (`Reader._counted_logits`; None: the network's as they are)."""
        sizes: list[tuple[bytes, Size]] = []
        images, usable = [], []
        for key, drawing in drawings:
            try:
                size = size_of(drawing)
                image = render_strokes(drawing, params) if size else None
            except (EmptyDrawingError, ValueError):
                size = image = None
            if size is None or image is None:
                self.put(key, None)
                continue
            sizes.append((key, size))
            images.append(image)
            usable.append(drawing)
        if images:
            logits = np.asarray(model.logits(np.stack(images)[:, None]), np.float64)
            plain = None
            if correct is not None:
                coarseness = np.array([size.coarseness for _, size in sizes])
                logits, plain = correct(logits, usable, coarseness)
            probs = softmax(logits if plain is None else plain)
            for k, ((key, size), z, p) in enumerate(zip(sizes, logits, probs, strict=True)):
                self.put(key, Seen(size, p, z, key, plain=None if plain is None else plain[k]))
