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


def openblas_threads_now() -> int | None:
    """OpenBLAS's thread count at this moment (None where its functions cannot be found)."""
    blas = parallel._Blas()
    return None if blas.get is None else int(blas.get())


@pytest.mark.usefixtures("restore_threads")
def test_a_lone_drawing_runs_blas_on_one_thread_and_gives_its_threads_back() -> None:
    if openblas_threads_now() is None:
        pytest.skip("OpenBLAS's thread functions are not reachable here")
    before = openblas_threads_now()
    seen: list[int | None] = []
    model = build_model(ModelConfig(), list("abcde"), np.random.default_rng(0))
    layer = model.network.layers[0][1]
    forward = layer.forward_cl

    def watched(x: np.ndarray, *, training: bool = False) -> np.ndarray:
        seen.append(openblas_threads_now())
        return forward(x, training=training)

    layer.forward_cl = watched  # type: ignore[method-assign]
    model.forward(np.zeros((1, 1, 28, 28), np.float32), training=False)
    assert seen == [1]
    assert openblas_threads_now() == before
    parallel.set_blas_threads_for_small_batches(True)
    try:
        model.forward(np.zeros((1, 1, 28, 28), np.float32), training=False)
    finally:
        parallel.set_blas_threads_for_small_batches(False)
    assert seen == [1, before]
