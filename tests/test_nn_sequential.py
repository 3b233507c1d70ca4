"""Sequential: whole-network gradients, activations, state_dict round trips, strict loading."""

from __future__ import annotations

import numpy as np
import pytest

from ocrpad.nn import (
    BatchNorm2d,
    Conv2d,
    Dense,
    Dropout,
    Flatten,
    MaxPool2d,
    ReLU,
    Sequential,
    StateDictError,
    cross_entropy,
)
from ocrpad.nn.gradcheck import numeric_gradient, rel_error


def small_net(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        [
            ("conv1", Conv2d(1, 3, 3, padding=1, rng=rng)),
            ("bn1", BatchNorm2d(3)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(3, 4, 3, stride=2, rng=rng)),
            ("relu2", ReLU()),
            ("drop", Dropout(0.3, rng=rng)),
            ("flatten", Flatten()),
            ("fc1", Dense(4 * 2 * 2, 6, rng=rng)),
            ("relu3", ReLU()),
            ("out", Dense(6, 5, rng=rng)),
        ]
    )


@pytest.mark.parametrize("training", [True, False])
def test_whole_network_gradients_match_finite_differences(training: bool) -> None:
    net = small_net().astype(np.float64)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 1, 11, 11))
    targets = np.array([0, 3, 4])

    drop = net["drop"]
    assert isinstance(drop, Dropout)

    def loss() -> float:
        drop.rng = np.random.default_rng(7)  # the same mask on every evaluation
        return cross_entropy(net.forward(x, training=training), targets)[0]

    drop.rng = np.random.default_rng(7)
    _, dlogits = cross_entropy(net.forward(x, training=training), targets)
    dx = net.backward(dlogits)
    assert rel_error(dx, numeric_gradient(loss, x)) < 1e-5
    for key, param, grad in net.named_parameters():
        analytic = grad.copy()
        numeric = numeric_gradient(loss, param)
        # conv1.bias feeds batch norm in training: its true gradient is 0 (numeric ~1e-10)
        tiny = np.max(np.abs(analytic - numeric)) < 1e-8
        assert tiny or rel_error(analytic, numeric) < 1e-5, key


def test_backward_can_skip_the_input_gradient() -> None:
    net = small_net()
    x = np.random.default_rng(0).random((2, 1, 11, 11), dtype=np.float32)
    net.forward(x, training=True)
    assert net.backward(np.ones((2, 5), np.float32), need_input_grad=False) is None
    assert np.any(net["conv1"].grads["weight"] != 0)


def test_activations_are_every_layer_output_in_nchw() -> None:
    net = small_net()
    x = np.random.default_rng(0).random((2, 1, 11, 11), dtype=np.float32)
    acts = net.forward_with_activations(x)
    assert [name for name, _ in acts] == [name for name, _ in net.layers]
    shapes = dict((name, a.shape) for name, a in acts)
    assert shapes["conv1"] == (2, 3, 11, 11)
    assert shapes["pool1"] == (2, 3, 5, 5)
    assert shapes["out"] == (2, 5)
    np.testing.assert_allclose(acts[-1][1], net.forward(x), rtol=1e-6)


def test_state_dict_round_trips_into_a_fresh_network() -> None:
    a, b = small_net(0), small_net(1)
    a["bn1"].buffers["running_mean"][...] = 0.5
    x = np.random.default_rng(0).random((2, 1, 11, 11), dtype=np.float32)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert set(a.state_dict()) == {
        "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean",
        "bn1.running_var", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
        "out.weight", "out.bias",
    }  # fmt: skip


def test_state_dict_returns_copies() -> None:
    net = small_net()
    state = net.state_dict()
    state["conv1.weight"][...] = 0
    assert np.any(net["conv1"].params["weight"] != 0)


def test_strict_load_names_missing_unexpected_and_misshaped_keys() -> None:
    net = small_net()
    state = net.state_dict()
    del state["fc1.bias"]
    state["extra.weight"] = np.zeros(3, np.float32)
    state["out.weight"] = np.zeros((7, 6), np.float32)
    with pytest.raises(StateDictError) as info:
        net.load_state_dict(state)
    message = str(info.value)
    assert "fc1.bias" in message and "extra.weight" in message
    assert "out.weight" in message and "(5, 6)" in message and "(7, 6)" in message


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (np.full(5, "x"), "not a real number type"),
        (np.full(5, 1.0, dtype=object), "not a real number type"),
        (np.array([0.0, np.nan, 0.0, 0.0, 0.0], np.float32), "NaN or infinite"),
        (np.full(5, 1e300), "beyond the range of float32"),
    ],
)
def test_a_refused_state_changes_nothing_and_names_the_array(bad: np.ndarray, words: str) -> None:
    """All or nothing: a zeroed conv1.weight staged before a bad out.bias is not copied in."""
    net = small_net()
    before = net.state_dict()
    state = {**before, "conv1.weight": np.zeros_like(before["conv1.weight"]), "out.bias": bad}
    with pytest.raises(StateDictError, match=rf"out\.bias: .*{words}"):
        net.load_state_dict(state)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_a_long_list_of_unexpected_keys_is_cut_short() -> None:
    net = small_net()
    state = {**net.state_dict(), **{f"junk{i}": np.zeros(1) for i in range(20_000)}}
    with pytest.raises(StateDictError, match="junk9 and 19,990 more") as info:
        net.load_state_dict(state)
    assert len(str(info.value)) < 500


def test_non_strict_load_skips_missing_and_unexpected_keys() -> None:
    net = small_net()
    state = net.state_dict()
    del state["fc1.bias"]
    state["extra"] = np.zeros(1, np.float32)
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert missing == ["fc1.bias"] and unexpected == ["extra"]


def test_layer_configs_rebuild_the_same_layers() -> None:
    for _, layer in small_net().layers:
        clone = type(layer)(**layer.get_config())
        assert clone.get_config() == layer.get_config()
        assert {k: v.shape for k, v in clone.params.items()} == {
            k: v.shape for k, v in layer.params.items()
        }


def test_dropout_is_identity_in_inference_and_inverted_in_training() -> None:
    drop = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.ones((200, 50), np.float32)
    assert drop.forward(x) is x
    y = drop.forward(x, training=True)
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert abs(float(y.mean()) - 1.0) < 0.05


@pytest.mark.parametrize("mean", [0.0, 30.0, 300.0, -3000.0])
def test_batchnorm_in_float32_keeps_its_digits_for_activations_far_from_zero(mean: float) -> None:
    """E[x²] - E[x]² from float32 sums once lost every digit at 300 standard deviations out."""
    rng = np.random.default_rng(0)
    x64 = mean + rng.standard_normal((16, 4, 7, 7))
    dy = rng.standard_normal(x64.shape)
    results = []
    for dtype in (np.float32, np.float64):
        bn = BatchNorm2d(4)
        bn.astype(dtype)
        y = bn.forward(x64.astype(dtype), training=True)
        dx = bn.backward(dy.astype(dtype))
        results.append((y, dx, bn.grads["weight"], bn.buffers["running_var"]))
    for got, exact in zip(*results, strict=True):
        tolerance = 1e-6 * max(1.0, abs(mean)) * np.abs(exact).max()
        np.testing.assert_allclose(got, exact, rtol=0, atol=tolerance)


def test_batchnorm_updates_running_statistics_only_in_training() -> None:
    bn = BatchNorm2d(2)
    x = np.random.default_rng(0).normal(3.0, 2.0, (8, 2, 4, 4)).astype(np.float32)
    bn.forward(x, training=False)
    np.testing.assert_array_equal(bn.buffers["running_mean"], 0)
    bn.forward(x, training=True)
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.buffers["running_mean"], 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.buffers["running_var"], 0.9 + 0.1 * var, rtol=1e-5)


def test_an_empty_training_batch_is_refused_and_leaves_the_network_as_it_was() -> None:
    """It used to raise a reshape error after batch norm had made its running stats NaN."""
    net = small_net()
    x = np.random.default_rng(0).random((2, 1, 11, 11), dtype=np.float32)
    before, expected = net.state_dict(), net.predict(x)
    with pytest.raises(ValueError, match="batch is empty"):
        net.forward(np.zeros((0, 1, 11, 11), np.float32), training=True)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    np.testing.assert_array_equal(net.predict(x), expected)


@pytest.mark.parametrize("shape", [(0, 3, 4, 4), (2, 3, 0, 4)])
def test_batch_norm_refuses_to_learn_statistics_from_no_values(shape: tuple[int, ...]) -> None:
    bn = BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(num_features=3.*at least one value"):
        bn.forward(np.zeros(shape, np.float32), training=True)
    np.testing.assert_array_equal(bn.buffers["running_mean"], 0)
    np.testing.assert_array_equal(bn.buffers["running_var"], 1)


def test_cross_entropy_is_stable_and_matches_the_definition() -> None:
    logits = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    loss, grad = cross_entropy(logits, np.array([0, 2]))
    p = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    assert np.isclose(loss, -np.log(p[2]) / 2)
    np.testing.assert_allclose(grad[1], (p - [0, 0, 1]) / 2)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize(
    ("targets", "words"),
    [
        (np.array([0, -1]), r"in \[0, 3\), got -1\.\.0"),  # used to wrap to the last class
        (np.array([0, 3]), r"in \[0, 3\), got 0\.\.3"),
        (np.array([1]), r"shape \(2,\)"),  # used to broadcast over the batch
        (np.array([[0, 1]]), r"shape \(2,\)"),
        (np.array([0.0, 1.0]), "integer class indices"),
    ],
)
def test_cross_entropy_refuses_targets_that_are_not_one_class_index_per_sample(
    targets: np.ndarray, words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        cross_entropy(np.zeros((2, 3), np.float32), targets)


def test_cross_entropy_refuses_an_empty_batch() -> None:
    with pytest.raises(ValueError, match="batch is empty"):
        cross_entropy(np.zeros((0, 3), np.float32), np.zeros(0, np.int64))


def test_cross_entropy_gradient_with_label_smoothing_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    logits, targets = rng.standard_normal((4, 6)), np.array([0, 5, 2, 2])
    _, grad = cross_entropy(logits, targets, label_smoothing=0.1)
    numeric = numeric_gradient(lambda: cross_entropy(logits, targets, 0.1)[0], logits)
    assert rel_error(grad, numeric) < 1e-7


def test_dropout_drops_the_requested_fraction_for_any_probability() -> None:
    drop = Dropout(0.3, rng=np.random.default_rng(4))
    y = drop.forward(np.ones((400, 500), np.float32), training=True)
    assert abs(float((y == 0).mean()) - 0.3) < 0.005
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)


def test_layers_have_pytorchs_attribute_names_for_their_parameters_and_buffers() -> None:
    conv, dense, bn = Conv2d(1, 4, 3, padding=1), Dense(3, 2), BatchNorm2d(4)
    assert conv.weight is conv.params["weight"] and conv.bias.shape == (4,)
    assert dense.weight.shape == (2, 3) and dense.bias is dense.params["bias"]
    assert bn.running_var is bn.buffers["running_var"] and bn.running_mean.shape == (4,)
    assert bn.weight is bn.params["weight"] and bn.bias is bn.params["bias"]
    conv.weight = np.ones((4, 1, 3, 3))  # copied into the array the convolution multiplies by
    conv.bias = np.zeros(4)
    x = np.zeros((1, 1, 5, 5), np.float32)
    x[0, 0, 2, 2] = 1.0
    np.testing.assert_array_equal(conv.forward(x)[0, :, 1:4, 1:4], np.ones((4, 3, 3)))
    with pytest.raises(ValueError, match=r"weight is \(4, 1, 3, 3\); cannot set it from \(3,\)"):
        conv.weight = np.ones(3)
