"""ModelConfig, build_model, Model and model files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ocrpad import model as model_module
from ocrpad.model import DEFAULT_LABELS, ConvBlock, ModelConfig, build_model, load_model
from ocrpad.nn import Adam, BatchNorm2d, Flatten, MaxPool2d, cross_entropy

DEEP = ModelConfig(
    blocks=(ConvBlock(8, True, True), ConvBlock(16, True, True), ConvBlock(32, True, True)),
    padding=1,
    hidden=(32,),
    dense_dropout=0.5,
)


def images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 1, 28, 28), dtype=np.float32)


def test_default_labels_are_the_62_emnist_byclass_characters() -> None:
    assert len(DEFAULT_LABELS) == 62
    assert DEFAULT_LABELS[:3] == ["0", "1", "2"] and DEFAULT_LABELS[10] == "A"
    assert DEFAULT_LABELS[36] == "a" and DEFAULT_LABELS[-1] == "z"


def test_the_default_config_is_the_reference_network() -> None:
    net = build_model().network
    shapes = {k: v.shape for k, v in net.state_dict().items()}
    assert shapes == {
        "conv1.weight": (32, 1, 3, 3), "conv1.bias": (32,),
        "conv2.weight": (64, 32, 3, 3), "conv2.bias": (64,),
        "fc1.weight": (128, 9216), "fc1.bias": (128,),
        "out.weight": (62, 128), "out.bias": (62,),
    }  # fmt: skip


def test_a_deeper_config_builds_and_round_trips_through_json() -> None:
    text = json.dumps(DEEP.to_json())
    assert ModelConfig.from_json(json.loads(text)) == DEEP
    model = build_model(DEEP, list("abc"))
    assert sum(isinstance(layer, BatchNorm2d) for _, layer in model.network.layers) == 3
    assert sum(isinstance(layer, MaxPool2d) for _, layer in model.network.layers) == 3
    assert model.network["fc1"].params["weight"].shape == (32, 32 * 3 * 3)
    assert model.predict_proba(images(2)).shape == (2, 3)


def test_predict_proba_returns_float32_probabilities() -> None:
    probs = build_model().predict_proba(images(3))
    assert probs.shape == (3, 62) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_predict_proba_rejects_a_wrong_shape() -> None:
    with pytest.raises(ValueError, match="28"):
        build_model().predict_proba(np.zeros((1, 28, 28), np.float32))


def test_activations_cover_the_conv_and_pool_layers_in_nchw() -> None:
    acts = dict(build_model().activations(images(1)))
    assert acts["conv1"].shape == (1, 32, 26, 26)
    assert acts["pool2"].shape == (1, 64, 12, 12)
    assert "dropout" not in acts and "out" not in acts


def test_flatten_uses_pytorch_nchw_order() -> None:
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    flat = Flatten().forward_cl(x.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(flat, x.reshape(2, -1))


def test_save_and_load_keep_weights_config_labels_and_meta(tmp_path: Path) -> None:
    model = build_model(DEEP, list("xyz"), np.random.default_rng(3))
    model.network["bn1"].buffers["running_var"][...] = 2.0
    model.meta["training"] = {"epochs": 3}
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.config == DEEP and loaded.labels == ["x", "y", "z"]
    assert loaded.meta == {"training": {"epochs": 3}}
    np.testing.assert_array_equal(loaded.predict_proba(images(2)), model.predict_proba(images(2)))


def test_load_model_without_a_path_reads_the_default_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "default.npz"
    build_model().save(path)
    from ocrpad import resources

    monkeypatch.setattr(resources, "default_weights_path", lambda: path)
    assert model_module.load_model().labels == DEFAULT_LABELS


def test_copy_is_independent() -> None:
    model = build_model()
    clone = model.copy()
    clone.network["out"].params["bias"][...] = 5.0
    assert np.all(model.network["out"].params["bias"] == 0.0)
    assert clone.labels == model.labels and clone.config == model.config


def test_extra_classes_keep_the_old_outputs() -> None:
    model = build_model(labels=list("abc"), rng=np.random.default_rng(0))
    model.network["out"].params["bias"][...] = [1.0, 2.0, 3.0]
    grown = model.with_extra_classes(["b", "@", "#", "@"], np.random.default_rng(1))
    assert grown.labels == ["a", "b", "c", "@", "#"]
    x = images(2)
    old_logits = model.forward(x)
    np.testing.assert_allclose(grown.forward(x)[:, :3], old_logits, rtol=1e-5, atol=1e-6)
    assert model.labels == ["a", "b", "c"]


def test_the_reference_network_learns_a_small_fixed_problem() -> None:
    rng = np.random.default_rng(0)
    n_classes, per_class = 4, 8
    prototypes = rng.random((n_classes, 1, 28, 28), dtype=np.float32)
    x = np.repeat(prototypes, per_class, axis=0)
    x += 0.3 * rng.standard_normal(x.shape).astype(np.float32)
    y = np.repeat(np.arange(n_classes), per_class)
    model = build_model(labels=list("abcd"), rng=rng)
    opt = Adam(model, lr=1e-3)
    for _ in range(30):
        loss, dlogits = cross_entropy(model.forward(x, training=True), y)
        model.backward(dlogits, need_input_grad=False)
        opt.step()
    accuracy = float(np.mean(model.predict_proba(x).argmax(axis=1) == y))
    assert accuracy == 1.0
    assert loss < 0.1
