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
