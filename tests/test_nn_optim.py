"""Optimizers and schedules on problems with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ocrpad.nn import SGD, Adam, Dense, Sequential, cosine_lr


def one_weight(value: float) -> Sequential:
    net = Sequential([("fc", Dense(1, 1))])
    net["fc"].params["weight"][...] = value
    net["fc"].params["bias"][...] = 0.0
    return net


def set_grads(net: Sequential, weight_grad: float, bias_grad: float = 0.0) -> None:
    net["fc"].grads["weight"][...] = weight_grad
    net["fc"].grads["bias"][...] = bias_grad


def test_sgd_with_momentum_follows_the_pytorch_update() -> None:
    net = one_weight(1.0)
    opt = SGD(net, lr=0.1, momentum=0.9)
    set_grads(net, 1.0)
    opt.step()  # v = 1, w = 1 - 0.1
    opt.step()  # v = 1.9, w = 0.9 - 0.19
    assert net["fc"].params["weight"][0, 0] == pytest.approx(0.71)


def test_adam_first_step_moves_each_weight_by_the_learning_rate() -> None:
    net = one_weight(1.0)
    opt = Adam(net, lr=0.01)
    set_grads(net, 123.0, -0.5)
    opt.step()
    assert net["fc"].params["weight"][0, 0] == pytest.approx(0.99, abs=1e-6)
    assert net["fc"].params["bias"][0] == pytest.approx(0.01, abs=1e-6)


def test_adam_weight_decay_is_decoupled_from_the_gradient() -> None:
    net = one_weight(2.0)
    opt = Adam(net, lr=0.1, weight_decay=0.5)
    set_grads(net, 0.0)
    opt.step()  # zero gradient: only the decay acts, w *= 1 - lr * wd
    assert net["fc"].params["weight"][0, 0] == pytest.approx(2.0 * 0.95)


def test_adam_minimises_a_quadratic() -> None:
    net = one_weight(5.0)
    opt = Adam(net, lr=0.1)
    for _ in range(500):
        w = net["fc"].params["weight"]
        set_grads(net, float(2 * (w[0, 0] - 3.0)))
        opt.step()
    assert net["fc"].params["weight"][0, 0] == pytest.approx(3.0, abs=1e-3)


def test_optimizer_state_round_trips() -> None:
    net = one_weight(1.0)
    opt = Adam(net, lr=0.01)
    set_grads(net, 1.0)
    opt.step()
    state = opt.state_dict()
    clone_net = one_weight(float(net["fc"].params["weight"][0, 0]))
    clone = Adam(clone_net, lr=0.5)
    clone.load_state_dict(state)
    set_grads(net, 0.3)
    set_grads(clone_net, 0.3)
    opt.step()
    clone.step()
    np.testing.assert_array_equal(net["fc"].params["weight"], clone_net["fc"].params["weight"])


BAD_RATES = [math.nan, math.inf, -1e-3, "0.1", True]


@pytest.mark.parametrize("make", [SGD, Adam])
@pytest.mark.parametrize("bad", BAD_RATES)
def test_a_learning_rate_that_would_ruin_the_weights_is_refused(make: type, bad: object) -> None:
    with pytest.raises(ValueError, match="learning rate must be a finite number >= 0"):
        make(one_weight(1.0), lr=bad)
    opt = make(one_weight(1.0), lr=0.01)
    with pytest.raises(ValueError, match="learning rate"):
        opt.lr = bad  # as a schedule sets it before each step
    assert opt.lr == 0.01
    opt.lr = 0  # pauses learning: allowed
    assert opt.lr == 0.0


def _trained_adam() -> Adam:
    opt = Adam(one_weight(1.0), lr=0.01)
    set_grads(opt.network, 1.0)
    opt.step()
    return opt


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"steps": None}, "lacks 'steps'"),
        ({"lr": None}, "lacks 'lr'"),
        ({"steps": np.array(-1)}, "'steps' is not a whole number"),
        ({"steps": np.array(1.5)}, "'steps' is not a whole number"),
        ({"lr": np.array([1.0, 2.0])}, "'lr' is not one number"),
        ({"lr": np.array(np.nan)}, "learning rate"),
        ({"m:fc.weight": np.zeros(3, np.float32)}, r"'m:fc\.weight' has shape \(3,\)"),
        ({"v:fc.bias": np.full(1, np.inf, np.float32)}, r"'v:fc\.bias' is not all finite"),
        ({"velocity:fc.weight": np.zeros((1, 1))}, "unknown slot 'velocity:fc.weight'"),
        ({"m:conv9.weight": np.zeros((1, 1))}, "unknown slot 'm:conv9.weight'"),
    ],
)
def test_a_damaged_optimizer_state_is_refused_naming_the_entry_and_changes_nothing(
    change: dict[str, np.ndarray | None], words: str
) -> None:
    """It used to fail later: a raw broadcast error at the first step, TypeError, KeyError."""
    opt = _trained_adam()
    state = opt.state_dict()
    damaged = {k: v for k, v in {**state, **change}.items() if v is not None}
    with pytest.raises(ValueError, match=words):
        opt.load_state_dict(damaged)
    after = opt.state_dict()
    assert after.keys() == state.keys()
    for key, value in state.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)


def test_an_optimizer_state_without_slots_starts_them_from_zero() -> None:
    opt = Adam(one_weight(1.0), lr=0.5)
    opt.load_state_dict({"steps": np.array(3), "lr": np.array(0.01)})
    assert (opt.steps, opt.lr, opt.slots) == (3, 0.01, {})


def test_cosine_schedule_warms_up_then_decays_to_the_final_rate() -> None:
    assert cosine_lr(0, 100, 1.0, warmup=10) == pytest.approx(0.1)
    assert cosine_lr(9, 100, 1.0, warmup=10) == pytest.approx(1.0)
    assert cosine_lr(10, 100, 1.0, warmup=10) == pytest.approx(1.0)
    assert cosine_lr(55, 100, 1.0, warmup=10) == pytest.approx(0.5)
    assert cosine_lr(100, 100, 1.0, warmup=10, final=0.01) == pytest.approx(0.01)
    assert math.isclose(cosine_lr(50, 100, 2.0), 1.0)


@pytest.mark.parametrize("threads", [2, 3])
def test_adam_split_over_threads_updates_every_weight_exactly_as_one_thread(threads: int) -> None:
    from ocrpad.nn import Conv2d, parallel

    def run(count: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(0)
        net = Sequential(
            [("conv", Conv2d(16, 33, 7, rng=rng)), ("fc", Dense(300, 101, rng=rng))]
        )  # weights above and below the size Adam splits by rows
        opt = Adam(net, lr=0.01, weight_decay=0.1)
        before = parallel.threads()
        parallel.set_threads(count)
        try:
            for _ in range(3):
                for _, _, grad in net.named_parameters():
                    grad[...] = rng.standard_normal(grad.shape)
                opt.step()
        finally:
            parallel.set_threads(before)
        return net.state_dict() | {k: v.copy() for k, v in opt.slots.items()}

    one, split = run(1), run(threads)
    for key, value in one.items():
        np.testing.assert_array_equal(value, split[key], err_msg=key)
