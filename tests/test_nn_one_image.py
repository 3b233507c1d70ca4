"""A lone image's inference from per-thread buffers (``nn.one_image``) gives forward's answer
for any size, any pools, and on several threads at once."""

from __future__ import annotations

import threading

import numpy as np

from ocrpad.nn import BatchNorm2d, Conv2d, Flatten, MaxPool2d, ReLU, Sequential
from tests.test_nn_inference import net_with_every_fusion


def test_lone_images_of_different_sizes_each_get_their_own_buffers() -> None:
    net = net_with_every_fusion(3).astype(np.float64)
    rng = np.random.default_rng(8)
    for side in (11, 13, 11, 12):
        x = rng.standard_normal((1, 1, side, side))
        np.testing.assert_allclose(net.predict(x), net.forward(x), rtol=1e-12, atol=1e-12)


def test_two_pools_after_one_convolution_of_a_lone_image() -> None:
    rng = np.random.default_rng(9)
    net = Sequential(
        [
            ("conv", Conv2d(6, 4, 3, padding=2, rng=rng)),
            ("bn", BatchNorm2d(4)),
            ("pool_a", MaxPool2d(2)),
            ("relu", ReLU()),
            ("pool_b", MaxPool2d(3, 1)),
            ("flatten", Flatten()),
        ]
    ).astype(np.float64)
    x = rng.standard_normal((1, 6, 9, 9))
    np.testing.assert_allclose(net.predict(x), net.forward(x), rtol=1e-12, atol=1e-12)


def test_threads_reading_lone_images_at_once_do_not_share_buffers() -> None:
    net = net_with_every_fusion(6)
    images = np.random.default_rng(10).random((8, 1, 1, 11, 11), dtype=np.float32)
    expected = [net.predict(image) for image in images]
    failures: list[str] = []
    start = threading.Barrier(4)

    def read(offset: int) -> None:
        start.wait()
        for round_ in range(200):
            index = (offset + round_) % len(images)
            if not np.array_equal(net.predict(images[index]), expected[index]):
                failures.append(f"thread {offset}, image {index}")
                return

    threads = [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
