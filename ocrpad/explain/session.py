"""One model's explanations with caches, for a worker thread (no Qt).

The Explainer owns its own copy of the model: the engine's layers keep forward caches, so a
model shared with another thread would race.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ocrpad.explain.attribution import Method, heatmap
from ocrpad.explain.dream import (
    DreamSettings,
    Target,
    class_target,
    filter_target,
    iter_dream,
    target_values,
)
from ocrpad.explain.dream_cache import DreamCache, model_key
from ocrpad.explain.graph import conv_feature_map, feature_grid, forward_to, layer_index
from ocrpad.launch.selftest import SelfTestError, load_drawings
from ocrpad.model import Model
from ocrpad.nn import Conv2d
from ocrpad.preprocess import render_params_of, render_strokes

Images = NDArray[np.float32]
Progress = tuple[int, int]  # (steps done, steps in all)

CLASSES: Final = "classes"  # the dream kind of the output classes; other kinds are conv layers
BATCH: Final = 4  # images dreamt together: small enough to answer heat maps between steps
FILTER_SETTINGS: Final = DreamSettings(steps=80, step_size=0.05, start="noise", l2=0.3, tv=0.2)
"""Filters see a few pixels; each filter's ascent starts from the real drawing (of the built-in
ones) that fires it most, or from faint noise when there are none."""
FLAT: Final = 0.01  # a dream whose pixels vary less than this (std) is flat


def group_seed(seed: int, first: int, kind: str) -> int:
    """The seed of one batch of dreams of `kind` whose first index is `first`, for an
    explainer seeded with `seed`: each batch is reproducible on its own."""
    return int(np.random.SeedSequence([seed, first, *kind.encode()]).generate_state(1)[0])


class Explainer:
    """Heat maps, class dreams and filter dreams of one model; dreams are computed once.

    Dream kinds: CLASSES (one image per class) or a conv layer's name (one per filter).
    Not thread-safe: one thread (the explain worker) uses it.
    """

    def __init__(
        self,
        model: Model,
        settings: DreamSettings | None = None,
        seed: int = 0,
        filter_settings: DreamSettings = FILTER_SETTINGS,
        cache: DreamCache | None = None,
    ) -> None:
        self.model = model.copy()
        self.settings = DreamSettings() if settings is None else settings
        self.filter_settings = filter_settings
        self.seed = seed
        self.cache = cache  # dreams on disk from an earlier start, and for the next one
        self._key = model_key(self.model, self.settings, filter_settings, seed) if cache else ""
        self._dreams: dict[tuple[str, int], Images] = {}
        self._examples: Images | None = None
        self._responses: dict[int, Images] = {}  # layer index -> (D, C) mean responses

    @property
    def labels(self) -> list[str]:
        return self.model.labels

    def conv_layers(self) -> list[str]:
        """Names of the conv layers, in order."""
        return [n for n, layer in self.model.network.layers if isinstance(layer, Conv2d)]

    def heatmap(self, image: Images, class_index: int, method: Method = "gradcam") -> Images:
        """(28, 28) image -> (28, 28) map in [0, 1] for the class (see explain.heatmap)."""
        return heatmap(self.model, image, class_index, method)

    def count(self, kind: str) -> int:
        """How many dreams a kind has: classes, or the conv layer's filters."""
        if kind == CLASSES:
            return len(self.labels)
        network = self.model.network
        layer = network.layers[layer_index(network, kind)][1]  # ValueError naming the layers
        if not isinstance(layer, Conv2d):
            raise ValueError(f"{kind!r} is not a conv layer")
        return layer.out_channels

    def dreams(self, kind: str) -> Images | None:
        """(count, 28, 28) once every dream of `kind` is computed (or was, at an earlier
        start, and is in the disk cache), else None."""
        self._load(kind)
        keys = [(kind, i) for i in range(self.count(kind))]
        if not all(key in self._dreams for key in keys):
            return None
        return np.stack([self._dreams[key] for key in keys])

    def partial(self, kind: str) -> tuple[Images, int]:
        """(count, 28, 28) with the dreams computed so far (black for the others), and how
        many are computed."""
        images = np.zeros((self.count(kind), 28, 28), np.float32)
        done = 0
        for i in range(len(images)):
            if (kind, i) in self._dreams:
                images[i] = self._dreams[kind, i]
                done += 1
        return images, done

    def dream_steps(self, kind: str, batch: int = BATCH) -> Iterator[Progress]:
        """Compute the missing dreams of `kind` in batches, one ascent step per iteration.
        Stop any time: finished batches stay cached."""
        self._load(kind)
        todo = [i for i in range(self.count(kind)) if (kind, i) not in self._dreams]
        groups = [todo[k : k + batch] for k in range(0, len(todo), batch)]
        settings = self.settings if kind == CLASSES else self.filter_settings
        total = len(groups) * settings.steps
        for n, group in enumerate(groups):
            target = self._target(kind, group)
            start = None if kind == CLASSES else self.strongest_examples(target)
            final = None
            seed = group_seed(self.seed, group[0], kind)
            ascent = iter_dream(self.model, target, settings, seed, start=start)
            for step, images in enumerate(ascent, 1):
                final = images
                yield n * settings.steps + step, total
            assert final is not None
            for i, image in zip(group, final.copy(), strict=True):
                self._dreams[kind, i] = image
        finished = self.dreams(kind)
        if todo and self.cache is not None and finished is not None:
            self.cache.save(self._key, kind, finished)

    def _load(self, kind: str) -> None:
        """Take the dreams of `kind` from the disk cache if it has them (and none are here)."""
        count = self.count(kind)
        if self.cache is None or any((kind, i) in self._dreams for i in range(count)):
            return
        stored = self.cache.load(self._key, kind, count)
        for i, image in enumerate(stored if stored is not None else ()):
            self._dreams[kind, i] = image

    def examples(self) -> Images:
        """The built-in drawings as this model's inputs, (D, 28, 28); (0, 28, 28) if missing."""
        if self._examples is None:
            params = render_params_of(self.model.meta)
            try:
                drawings = load_drawings()
            except SelfTestError:
                drawings = []
            images = [render_strokes(d.strokes, params) for d in drawings]
            self._examples = np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
        return self._examples

    def strongest_examples(self, target: Target) -> Images | None:
        """For each targeted filter, the real drawing that fires it most: (K, 28, 28)."""
        examples = self.examples()
        if not len(examples):
            return None
        if target.layer not in self._responses:  # one forward pass per layer
            out = forward_to(self.model.network, examples[:, None], target.layer)
            if target.rectify:
                out = np.maximum(out, 0)
            self._responses[target.layer] = out.mean(axis=(1, 2))  # (D, C) channels-last
        best = self._responses[target.layer][:, target.channels].argmax(axis=0)  # (K,)
        return np.ascontiguousarray(examples[best])

    def blank_paper_filters(self, layer: str) -> list[int] | None:
        """Filters of a conv layer whose dream is flat because blank paper fires them as much
        as anything the ascent found (they respond to the absence of ink); None until the
        layer's dreams are computed."""
        dreams = self.dreams(layer)
        if dreams is None:
            return None
        target = filter_target(self.model, layer)
        dreamt = target_values(self.model, dreams, target)
        blank = target_values(self.model, np.zeros_like(dreams), target)
        flat = dreams.reshape(len(dreams), -1).std(axis=1) < FLAT
        return [int(i) for i in np.flatnonzero(flat & (blank > 0) & (blank >= 0.98 * dreamt))]

    def _target(self, kind: str, indices: list[int]) -> Target:
        if kind == CLASSES:
            return class_target(self.model, indices)
        return filter_target(self.model, kind, indices)

    def filter_tiles(self, layer: str) -> Images | None:
        """A conv layer's filter dreams cut to the pixels under its feature map, (filters, h,
        w), so each lines up with the filter's activation map (uncut for a strided map)."""
        dreams = self.dreams(layer)
        if dreams is None:
            return None
        network = self.model.network
        index = conv_feature_map(network, layer_index(network, layer)).index
        h, w = forward_to(network, dreams[:1, None], index).shape[1:3]  # channels-last
        grid = feature_grid(network, index)
        top = int(grid.offset)
        if grid.step != 1 or grid.offset != top or top + h > dreams.shape[1]:
            return dreams
        return np.ascontiguousarray(dreams[:, top : top + h, top : top + w])
