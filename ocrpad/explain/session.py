"""One model's explanations with caches, for a worker thread (no Qt).

The Explainer owns its own copy of the model: the engine's layers keep forward caches, so a
model shared with another thread would race.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from ocrpad.explain.attribution import Method, heatmap
from ocrpad.explain.dream import DreamSettings, Target, class_target, filter_target, iter_dream
from ocrpad.model import Model
from ocrpad.nn import Conv2d

Images = NDArray[np.float32]
Progress = tuple[int, int]  # (steps done, steps in all)

CLASS_BATCH = 8  # classes dreamt together: small enough to answer heat maps between steps


class Explainer:
    """Heat maps, class dreams and filter dreams of one model; dreams are computed once.

    Not thread-safe: one thread (the explain worker) uses it.
    """

    def __init__(self, model: Model, settings: DreamSettings | None = None, seed: int = 0):
        self.model = model.copy()
        self.settings = DreamSettings() if settings is None else settings
        self.seed = seed
        self._class_dreams: dict[int, Images] = {}
        self._filter_dreams: dict[str, Images] = {}

    @property
    def labels(self) -> list[str]:
        return self.model.labels

    def conv_layers(self) -> list[str]:
        """Names of the conv layers, in order."""
        return [n for n, layer in self.model.network.layers if isinstance(layer, Conv2d)]

    def heatmap(self, image: Images, class_index: int, method: Method = "gradcam") -> Images:
        """(28, 28) image -> (28, 28) map in [0, 1] for the class (see explain.heatmap)."""
        return heatmap(self.model, image, class_index, method)

    # -- class dreams ----------------------------------------------------------------------
    def class_dreams(self) -> Images | None:
        """(classes, 28, 28) once every class has been dreamt, else None."""
        if len(self._class_dreams) < len(self.labels):
            return None
        return np.stack([self._class_dreams[i] for i in range(len(self.labels))])

    def class_dream_steps(self, batch: int = CLASS_BATCH) -> Iterator[Progress]:
        """Dream every class not cached yet, one ascent step per iteration (stop any time:
        finished batches stay cached)."""
        todo = [i for i in range(len(self.labels)) if i not in self._class_dreams]
        groups = [todo[k : k + batch] for k in range(0, len(todo), batch)]
        total = len(groups) * self.settings.steps
        for n, group in enumerate(groups):
            target = class_target(self.model, group)
            final = None
            for step, images in enumerate(self._ascent(target, group[0]), start=1):
                final = images
                yield n * self.settings.steps + step, total
            assert final is not None
            self._class_dreams.update(zip(group, final.copy(), strict=True))

    # -- filter dreams ---------------------------------------------------------------------
    def filter_dreams(self, layer: str) -> Images | None:
        """(filters, 28, 28) for a conv layer once dreamt, else None."""
        return self._filter_dreams.get(layer)

    def filter_dream_steps(self, layer: str) -> Iterator[Progress]:
        """Dream all filters of `layer` as one batch, one ascent step per iteration."""
        if layer in self._filter_dreams:
            return
        target = filter_target(self.model, layer)
        final = None
        for step, images in enumerate(self._ascent(target, layer), start=1):
            final = images
            yield step, self.settings.steps
        assert final is not None
        self._filter_dreams[layer] = final.copy()

    def _ascent(self, target: Target, key: int | str) -> Iterator[Images]:
        """The ascent for `target`, seeded from the session seed and a job key (so a result
        does not depend on the order in which jobs run)."""
        seed = np.random.SeedSequence([self.seed, *str(key).encode()]).generate_state(1)[0]
        return iter_dream(self.model, target, self.settings, int(seed))
