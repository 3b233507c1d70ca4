"""The batch split over threads gives the same numbers as one thread."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from ocrpad.model import ConvBlock, ModelConfig, build_model
from ocrpad.nn import cross_entropy, parallel


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = parallel.threads()
    yield
    parallel.set_threads(before)


def run(threads: int, config: ModelConfig) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    parallel.set_threads(threads)
    model = build_model(config, list("abcde"), np.random.default_rng(0))
    model.network.astype(np.float64)
    rng = np.random.default_rng(1)
    x = rng.random((19, 1, 28, 28))
    logits = model.forward(x, training=False)
    _, dlogits = cross_entropy(logits, rng.integers(0, 5, 19))
    dx = model.backward(dlogits)
    assert dx is not None
    grads = {key: grad.copy() for key, _, grad in model.network.named_parameters()}
    return logits, dx, grads


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize(
    "config",
    [
        ModelConfig(),
        ModelConfig(blocks=(ConvBlock(4, True, True), ConvBlock(6, True, True)), padding=1),
    ],
)
def test_splitting_the_batch_over_threads_changes_no_result(config: ModelConfig) -> None:
    one = run(1, config)
    three = run(3, config)
    np.testing.assert_allclose(one[0], three[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(one[1], three[1], rtol=1e-12, atol=1e-12)
    for key in one[2]:
        np.testing.assert_allclose(one[2][key], three[2][key], rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.usefixtures("restore_threads")
def test_an_error_in_a_worker_reaches_the_caller() -> None:
    parallel.set_threads(2)

    def work(part: int, lo: int, hi: int) -> None:
        if part == 1:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        parallel.parallel_for(16, work)
