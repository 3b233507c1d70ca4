"""The per-model explanation cache the explain worker runs (no Qt)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from ocrpad.explain.dream import DreamSettings, filter_target
from ocrpad.explain.dream_cache import KEPT_MODELS, DreamCache
from ocrpad.explain.session import CLASSES, Explainer
from ocrpad.model import ConvBlock, ModelConfig, build_model


def small_explainer() -> Explainer:
    config = ModelConfig(blocks=(ConvBlock(4), ConvBlock(6, pool=True)), hidden=(16,))
    model = build_model(config, list("abcde"), np.random.default_rng(0))
    fast = DreamSettings(steps=3)
    return Explainer(model, fast, seed=1, filter_settings=fast)


def test_class_dreams_are_computed_in_steps_once_and_then_served_from_the_cache() -> None:
    explainer = small_explainer()
    assert explainer.dreams(CLASSES) is None
    progress = list(explainer.dream_steps(CLASSES, batch=2))
    assert [done for done, _ in progress] == list(range(1, 10))  # 3 batches of 3 steps
    assert progress[-1] == (9, 9)
    dreams = explainer.dreams(CLASSES)
    assert dreams is not None and dreams.shape == (5, 28, 28)
    assert list(explainer.dream_steps(CLASSES)) == []


def test_a_stopped_dream_keeps_its_finished_batches() -> None:
    explainer = small_explainer()
    steps = explainer.dream_steps(CLASSES, batch=2)
    for _ in range(4):  # the first batch of 3 steps, and one step of the next
        next(steps)
    remaining = list(explainer.dream_steps(CLASSES, batch=2))
    assert remaining[-1] == (6, 6)  # classes 2..4 only


def test_filter_dreams_cover_every_filter_and_line_up_with_the_feature_maps() -> None:
    explainer = small_explainer()
    assert explainer.conv_layers() == ["conv1", "conv2"]
    assert list(explainer.dream_steps("conv2", batch=4))[-1] == (6, 6)  # 4 + 2 filters
    dreams = explainer.dreams("conv2")
    assert dreams is not None and dreams.shape == (6, 28, 28)
    tiles = explainer.filter_tiles("conv2")
    assert tiles is not None and tiles.shape == (6, 24, 24)  # two valid 3x3 convolutions
    np.testing.assert_array_equal(tiles, dreams[:, 2:26, 2:26])
    assert explainer.dreams("conv1") is None
    with pytest.raises(ValueError, match="not a conv layer"):
        explainer.count("relu1")


def test_the_explainer_works_on_its_own_copy_of_the_model() -> None:
    config = ModelConfig(blocks=(ConvBlock(4),), hidden=())
    model = build_model(config, list("ab"), np.random.default_rng(0))
    explainer = Explainer(model)
    assert explainer.model is not model
    assert explainer.model.network.layers[0][1] is not model.network.layers[0][1]
    image = np.zeros((28, 28), np.float32)
    image[10:18, 12:15] = 1.0
    heat = explainer.heatmap(image, 1, "saliency")
    assert heat.shape == (28, 28) and heat.max() == np.float32(1.0)


def test_filter_dreams_start_from_real_drawings_and_blank_paper_filters_are_named() -> None:
    config = ModelConfig(blocks=(ConvBlock(2),), hidden=())
    model = build_model(config, list("ab"), np.random.default_rng(0))
    conv = model.network["conv1"]
    conv.params["weight"][...] = 0.0
    conv.params["weight"][0, 0, 1, 1] = -1.0  # 0: on where there is no ink
    conv.params["weight"][1, 0, 1, 1] = 1.0  # 1: on where there is ink
    conv.params["bias"][...] = [0.5, -0.5]
    steps = DreamSettings(steps=40, start="blank")
    explainer = Explainer(model, steps, filter_settings=steps)
    examples = explainer.examples()
    assert len(examples) > 20  # the built-in drawings
    starts = explainer.strongest_examples(filter_target(model, "conv1"))
    assert starts is not None
    paper = np.maximum(0.5 - examples, 0).mean(axis=(1, 2))  # (D,) filter 0 on each drawing
    ink = np.maximum(examples - 0.5, 0).mean(axis=(1, 2))  # (D,) filter 1
    np.testing.assert_array_equal(starts[0], examples[paper.argmax()])
    np.testing.assert_array_equal(starts[1], examples[ink.argmax()])
    list(explainer.dream_steps("conv1"))
    dreams = explainer.dreams("conv1")
    assert dreams is not None
    assert dreams[1].max() > 0.5
    assert explainer.blank_paper_filters("conv1") == [0]


def test_dreams_are_kept_on_disk_for_the_same_model_and_only_for_it(tmp_path: Path) -> None:
    config = ModelConfig(blocks=(ConvBlock(4), ConvBlock(6, pool=True)), hidden=(16,))
    model = build_model(config, list("abcde"), np.random.default_rng(0))
    fast = DreamSettings(steps=3)
    cache = DreamCache(tmp_path / "dreams")
    first = Explainer(model, fast, seed=1, filter_settings=fast, cache=cache)
    assert list(first.dream_steps(CLASSES)) != []
    dreams = first.dreams(CLASSES)
    assert dreams is not None and len(list((tmp_path / "dreams").glob("*.npy"))) == 1
    again = Explainer(model, fast, seed=1, filter_settings=fast, cache=cache)  # a new start
    stored = again.dreams(CLASSES)
    assert stored is not None
    np.testing.assert_array_equal(stored, dreams)
    assert list(again.dream_steps(CLASSES)) == []  # nothing left to compute
    other = build_model(config, list("abcde"), np.random.default_rng(1))
    assert Explainer(other, fast, seed=1, filter_settings=fast, cache=cache).dreams(CLASSES) is None
    for path in (tmp_path / "dreams").glob("*.npy"):
        path.write_bytes(b"damaged")
    assert Explainer(model, fast, seed=1, filter_settings=fast, cache=cache).dreams(CLASSES) is None


def test_a_dream_that_cannot_be_written_leaves_no_half_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DreamCache(tmp_path / "dreams")

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full_disk)
    cache.save("key", "classes", np.zeros((2, 28, 28), np.float32))  # best effort: no error
    assert list((tmp_path / "dreams").iterdir()) == []


def test_a_dream_save_killed_half_way_is_cleaned_up_at_the_next_start(tmp_path: Path) -> None:
    folder = tmp_path / "dreams"
    DreamCache(folder).save("key", "classes", np.zeros((2, 28, 28), np.float32))
    killed = folder / ".key-filters.a1b2c3.tmp"  # what a save leaves when the process dies
    killed.write_bytes(b"half a dream")
    os.utime(killed, (0, 0))  # long ago
    DreamCache(folder)  # the next start
    assert sorted(p.name for p in folder.iterdir()) == ["key-classes.npy"]


def _save_models(cache: DreamCache, count: int, first: int = 0, when: float = 1000.0) -> None:
    """Dreams of `count` models (two kinds each), model n last used at `when` + n seconds."""
    for n in range(first, first + count):
        for kind in ("classes", "conv1"):
            cache.save(f"{n:024x}", kind, np.zeros((2, 28, 28), np.float32))
            os.utime(cache.folder / f"{n:024x}-{kind}.npy", (when + n, when + n))


def _models_on_disk(folder: Path) -> list[int]:
    return sorted({int(p.name[:24], 16) for p in folder.glob("*.npy") if p.name[24:25] == "-"})


def test_the_disk_keeps_the_dreams_of_only_the_models_used_last(tmp_path: Path) -> None:
    folder = tmp_path / "dreams"
    cache = DreamCache(folder)
    DreamCache(folder).save("key", "classes", np.zeros((2, 28, 28), np.float32))  # not a hash
    _save_models(cache, 5)  # five fine-tunes
    assert _models_on_disk(folder) == [2, 3, 4] and KEPT_MODELS == 3
    assert len(list(folder.glob("*.npy"))) == 3 * 2 + 1  # every kind of those, and "key"'s
    assert cache.load(f"{2:024x}", "classes", 2) is not None  # model 2 is used again
    _save_models(cache, 1, first=5)
    assert _models_on_disk(folder) == [2, 4, 5]  # 3 went: the least recently used


def test_the_dreams_being_saved_stay_even_when_the_others_look_newer(tmp_path: Path) -> None:
    """Files from a computer whose clock ran ahead: the model saved now is kept all the same."""
    cache = DreamCache(tmp_path / "dreams")
    _save_models(cache, 3, first=1, when=time.time() + 1e6)
    _save_models(cache, 1, first=0, when=time.time() - 1e6)
    assert _models_on_disk(cache.folder) == [0, 2, 3]


def test_a_dream_file_that_cannot_be_deleted_does_not_stop_a_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DreamCache(tmp_path / "dreams")
    _save_models(cache, 3)

    def locked(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "The file is in use by another process")

    monkeypatch.setattr(Path, "unlink", locked)
    _save_models(cache, 1, first=3)  # no error: model 0's files stay for now
    assert _models_on_disk(cache.folder) == [0, 1, 2, 3]
    monkeypatch.undo()
    _save_models(cache, 1, first=4)
    assert _models_on_disk(cache.folder) == [2, 3, 4]
