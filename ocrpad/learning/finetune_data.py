"""The pieces of a fine-tune: the prepared drawings, the pull toward the base weights, frozen
layers, and the start given to new classes. No Qt; used by ``ocrpad.learning.finetune``."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ocrpad.data.samples import Strokes, validate_label, validate_strokes
from ocrpad.learning.cancel import CancelFn, CountFn, stop_if
from ocrpad.learning.finetune_plan import is_frozen
from ocrpad.learning.rehearsal import Rehearsal, rendered_rehearsal
from ocrpad.model import Model
from ocrpad.preprocess import render_params_of, render_strokes

Images = NDArray[np.float32]  # (N, 1, 28, 28) float32 in [0, 1]
Augmenter = Callable[[Strokes, np.random.Generator], Strokes]


def renderer_for(model: Model) -> Callable[[Strokes], NDArray[np.float32]]:
    """render_strokes with the preprocessing parameters stored in the model (or the defaults)."""
    params = render_params_of(model.meta)
    return lambda strokes: render_strokes(strokes, params)


def _jitter(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """A random small affine distortion: rotation ±12°, shear ±0.25, aspect ±15%."""
    angle = np.deg2rad(rng.uniform(-12, 12))
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-0.25, 0.25)], [0.0, 1.0]])
    scale = np.diag([rng.uniform(0.85, 1.15), 1.0])
    matrix = (rotate @ shear @ scale).T
    return tuple((s.astype(np.float64) @ matrix).astype(np.float32) for s in strokes)


def default_augmenter() -> Augmenter:
    """The shared training augmentation if present, else a small affine jitter."""
    try:
        from ocrpad.data.augment import USER_AUGMENT, augment_strokes
    except ImportError:
        return _jitter

    def augment(strokes: Strokes, rng: np.random.Generator) -> Strokes:
        distorted = augment_strokes(list(strokes), rng, USER_AUGMENT)
        return tuple(np.asarray(s, np.float32) for s in distorted)

    return augment


PREPARED_EVERY: Final = 200  # drawings between two calls of ``prepare``'s ``preparing``


@dataclass
class TrainSet:
    """The user's drawings split into training and held-back parts, plus the rehearsal set."""

    train_strokes: list[Strokes]
    train_labels: tuple[str, ...]
    base_images: Images
    held_out_images: Images
    held_out_labels: tuple[str, ...]
    rehearsal: Rehearsal | None
    render: Callable[[Strokes], NDArray[np.float32]]
    augmenter: Augmenter
    skipped: tuple[str, ...] = ()  # drawings left out, one line each saying why

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels of every drawing used (training, then held back)."""
        return self.train_labels + self.held_out_labels

    @property
    def rehearsal_size(self) -> int:
        return 0 if self.rehearsal is None else len(self.rehearsal)

    def train_images(
        self,
        rng: np.random.Generator,
        *,
        augment: bool,
        cancel: CancelFn | None = None,
        counted: CountFn | None = None,
    ) -> Images:
        """This epoch's training images: (N, 1, 28, 28); most drawings freshly distorted.
        ``cancel`` is asked before each drawing (``Cancelled``); ``counted(done, N)`` is told
        every PREPARED_EVERY drawings (thousands take seconds)."""
        if not augment:
            return self.base_images
        images = self.base_images.copy()
        for i, strokes in enumerate(self.train_strokes):
            stop_if(cancel)
            if counted is not None and i and i % PREPARED_EVERY == 0:
                counted(i, len(self.train_strokes))
            if rng.random() < 0.75:
                with contextlib.suppress(ValueError):  # a degenerate distortion keeps the original
                    images[i, 0] = self.render(self.augmenter(strokes, rng))
        return images

    def rehearsal_batch(
        self, rng: np.random.Generator, size: int, index: dict[str, int]
    ) -> tuple[Images, NDArray[np.int64]] | None:
        """``size`` random rehearsal images and their class indices, or None."""
        if self.rehearsal is None or size <= 0:
            return None
        rows = rng.integers(0, len(self.rehearsal), size=size)
        y = np.array([index[self.rehearsal.labels[i]] for i in rows], dtype=np.int64)
        return self.rehearsal.images[rows], y


MIN_TO_HOLD_BACK: Final = 3  # a class's drawings needed for one held back (two still learnt)


def held_back_count(class_size: int, fraction: float) -> int:
    """How many of a class's `class_size` drawings are held back to score before/after:
    ``fraction`` of them if it has at least ``MIN_TO_HOLD_BACK`` (at least one, and at least
    two left to learn from), else none."""
    if fraction <= 0 or class_size < MIN_TO_HOLD_BACK:
        return 0
    return min(class_size - 2, max(1, round(class_size * fraction)))


def split_held_out(
    drawings: Sequence[Strokes], labels: Sequence[str], fraction: float
) -> NDArray[np.bool_]:
    """Mask of drawings held back to score before/after: ``held_back_count`` of each class.

    Which ones goes by a number each drawing's strokes and label hash to, lowest first — not
    by its place in the list — so from one fine-tune to the next a drawing stays on its side
    as drawings are added (a model kept from the last run is scored on what it learnt only
    where a class's share grows), and copies of one drawing (an export imported twice) sit
    side by side in that order."""
    held = np.zeros(len(labels), dtype=bool)
    if fraction <= 0:
        return held
    draw = np.array([_unit_hash(d, c) for d, c in zip(drawings, labels, strict=True)])
    array = np.array(labels, dtype=object)
    for label in dict.fromkeys(labels):
        rows = np.flatnonzero(array == label)
        count = held_back_count(len(rows), fraction)
        held[rows[np.argsort(draw[rows], kind="stable")[:count]]] = True
    return held


def _unit_hash(drawing: Strokes, label: str) -> float:
    """A number in [0, 1) fixed by the drawing's points and label."""
    digest = hashlib.blake2b(label.encode("utf-8"), digest_size=8)
    for stroke in drawing:
        points = np.ascontiguousarray(stroke, dtype=np.float32)
        digest.update(len(points).to_bytes(8, "little"))
        digest.update(points.tobytes())
    return int.from_bytes(digest.digest(), "little") / 2.0**64


def prepare(
    model: Model,
    strokes: Sequence[Sequence[ArrayLike]],
    labels: Sequence[str],
    held_out: float,
    rehearsal_path: str | Path | None,
    cancel: CancelFn | None = None,
    preparing: CountFn | None = None,
) -> TrainSet:
    """Check, render and split the drawings (`split_held_out`); load the rehearsal set for
    the known classes. ``cancel`` is asked before each drawing is rendered (``Cancelled``):
    thousands of them take seconds; ``preparing(done, total)`` is told every
    ``PREPARED_EVERY`` drawings and after the last."""
    if len(strokes) != len(labels):
        raise ValueError(f"{len(strokes)} drawings but {len(labels)} labels")
    if not strokes:
        raise ValueError("fine-tuning needs at least one drawing")
    params = render_params_of(model.meta)
    render = renderer_for(model)
    clean, chars, rendered, skipped = _usable(strokes, labels, render, cancel, preparing)
    if not clean:
        raise ValueError(f"none of the {len(strokes)} drawings can be used: {skipped[0]}")
    images = np.stack(rendered)[:, None].astype(np.float32)  # (N, 1, 28, 28)
    held = split_held_out(clean, chars, held_out)
    rehearsal = rendered_rehearsal(rehearsal_path, params, cancel)
    if rehearsal is not None and not set(rehearsal.labels) <= set(model.labels):
        known = [i for i, c in enumerate(rehearsal.labels) if c in model.labels]
        rehearsal = Rehearsal(rehearsal.images[known], tuple(rehearsal.labels[i] for i in known))
    keep = np.flatnonzero(~held)
    return TrainSet(
        train_strokes=[clean[i] for i in keep],
        train_labels=tuple(chars[i] for i in keep),
        base_images=images[keep],
        held_out_images=images[held],
        held_out_labels=tuple(c for c, h in zip(chars, held, strict=True) if h),
        rehearsal=rehearsal if rehearsal is not None and len(rehearsal) else None,
        render=render,
        augmenter=default_augmenter(),
        skipped=tuple(skipped),
    )


def _usable(
    strokes: Sequence[Sequence[ArrayLike]],
    labels: Sequence[str],
    render: Callable[[Strokes], NDArray[np.float32]],
    cancel: CancelFn | None,
    preparing: CountFn | None = None,
) -> tuple[list[Strokes], tuple[str, ...], list[NDArray[np.float32]], list[str]]:
    """The drawings that can be trained on (clean strokes, labels, images) and one line for
    each that cannot (empty, non-finite, a label that is not one character): those are
    skipped, so one bad drawing never stops the rest."""
    clean, chars, images, skipped = [], [], [], []
    for i, (drawing, label) in enumerate(zip(strokes, labels, strict=True)):
        stop_if(cancel)
        if preparing is not None and i % PREPARED_EVERY == 0 and i:
            preparing(i, len(strokes))
        try:
            ok = validate_strokes(drawing), validate_label(label)
            image = render(ok[0])
        except ValueError as error:
            skipped.append(f"drawing {i + 1} ({label!r}): {error}")
            continue
        clean.append(ok[0])
        chars.append(ok[1])
        images.append(image)
    if preparing is not None:
        preparing(len(strokes), len(strokes))
    return clean, tuple(chars), images, skipped


def predict_labels(
    model: Model,
    images: Images,
    batch: int = 256,
    cancel: CancelFn | None = None,
    counted: CountFn | None = None,
) -> tuple[str, ...]:
    """The model's character for each image of (N, 1, 28, 28); ``cancel`` is asked before
    each batch (``Cancelled``), ``counted(done, N)`` told after it."""
    guesses: list[str] = []
    for start in range(0, len(images), batch):
        stop_if(cancel)
        probs = model.predict_proba(images[start : start + batch])
        guesses.extend(model.labels[i] for i in np.argmax(probs, axis=1))
        if counted is not None:
            counted(len(guesses), len(images))
    return tuple(guesses)


@dataclass(frozen=True)
class AnchorEntry:
    """One parameter: its base value, a mask of the entries pulled toward it, frozen or not."""

    layer: Any
    key: str
    base: NDArray[np.floating[Any]]
    mask: NDArray[np.floating[Any]] | None
    frozen: bool


Anchor = list[AnchorEntry]


def _output_layer(model: Model) -> tuple[str, Any]:
    """The last layer with a 2-D ``weight`` (the classifier)."""
    for name, layer in reversed(model.network.layers):
        weight = getattr(layer, "params", {}).get("weight")
        if weight is not None and weight.ndim == 2:
            return name, layer
    raise ValueError("the model has no dense output layer")


def make_anchor(work: Model, frozen: Sequence[str], old_classes: int) -> Anchor:
    """Remember the starting weights; new output rows (beyond ``old_classes``) are not pulled."""
    out_name, _ = _output_layer(work)
    anchor: Anchor = []
    for name, layer in work.network.layers:
        for key, value in layer.params.items():
            mask = None
            if name == out_name and value.shape[0] > old_classes:
                mask = np.zeros_like(value)
                mask[:old_classes] = 1.0
            anchor.append(AnchorEntry(layer, key, value.copy(), mask, is_frozen(name, frozen)))
    return anchor


def apply_penalties(anchor: Anchor, strength: float) -> None:
    """Zero the gradients of frozen layers; add the L2-SP pull ``strength * (w - w_base)``."""
    for entry in anchor:
        grad = entry.layer.grads[entry.key]
        if entry.frozen:
            grad[...] = 0.0
        elif strength > 0:
            pull = entry.layer.params[entry.key] - entry.base
            grad += strength * (pull if entry.mask is None else pull * entry.mask)


def imprint_new_classes(work: Model, data: TrainSet, new_labels: Sequence[str]) -> None:
    """Start each new class's output row at the (scaled) mean feature of its drawings."""
    _, layer = _output_layer(work)
    features = work.network.forward_with_activations(data.base_images)[-2][1]  # (N, F)
    features = features.reshape(len(features), -1)
    weight, bias = layer.params["weight"], layer.params["bias"]
    old = [i for i, c in enumerate(work.labels) if c not in new_labels]
    norm = float(np.mean(np.linalg.norm(weight[old], axis=1)))
    for label in new_labels:
        rows = [i for i, c in enumerate(data.train_labels) if c == label]
        if not rows:
            continue
        mean = features[rows].mean(axis=0)
        row = work.labels.index(label)
        weight[row] = mean / max(float(np.linalg.norm(mean)), 1e-6) * norm
        bias[row] = float(np.mean(bias[old]))
