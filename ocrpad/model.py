"""The character classifier: architecture config, builder, labels and model files."""

from __future__ import annotations

import copy as copy_module
import dataclasses
import os
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ocrpad import __version__, bounds
from ocrpad.data.samples_format import validate_labels
from ocrpad.model_info import check_info, reader_shapes
from ocrpad.nn import (
    BatchNorm2d,
    Conv2d,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2d,
    ModelFileError,
    ReLU,
    Sequential,
    StateDictError,
    load_arrays,
    save_arrays,
)
from ocrpad.nn.functional import softmax
from ocrpad.nn.serialization import check_arrays

FORMAT_VERSION: Final = 1
DEFAULT_LABELS: Final[list[str]] = list(
    string.digits + string.ascii_uppercase + string.ascii_lowercase
)
"""The 62 EMNIST "byclass" characters in their class order: 0-9, A-Z, a-z."""

Array = NDArray[np.floating[Any]]
EXTRA_PREFIX: Final = "reader."
"""Arrays under this key prefix belong to the reader's context layer (``ocrpad.reading``), not
to the network; files without them load as before."""


@dataclass(frozen=True)
class ConvBlock:
    """One convolution block: conv(kernel) -> [batch norm] -> ReLU -> [max-pool 2]. The
    network applies the pool before the ReLU (identical output: both are monotone)."""

    channels: int  # output channels of the convolution
    batchnorm: bool = False  # BatchNorm2d after the convolution
    pool: bool = False  # 2x2 max-pool (stride 2)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the network; the number of classes comes from the labels.

    The default is the reference network: conv3x3-32 -> ReLU -> conv3x3-64 -> ReLU ->
    maxpool2 -> dropout 0.25 -> dense128 -> ReLU -> dense(classes).
    """

    input_size: int = 28  # inputs are (N, 1, input_size, input_size)
    in_channels: int = 1  # grey images
    blocks: tuple[ConvBlock, ...] = (ConvBlock(32), ConvBlock(64, pool=True))
    kernel_size: int = 3  # square convolution kernels
    padding: int = 0  # 0: "valid" convolutions (as the reference); 1 with 3x3 keeps the size
    conv_dropout: float = 0.25  # dropout after the convolution stack (0 = none)
    hidden: tuple[int, ...] = (128,)  # sizes of the dense hidden layers
    dense_dropout: float = 0.0  # dropout after each dense hidden layer (0 = none)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (blocks as dicts)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_json`; unknown keys raise ``TypeError``."""
        values = dict(data)
        values["blocks"] = tuple(ConvBlock(**b) for b in values.get("blocks", ()))
        values["hidden"] = tuple(values.get("hidden", ()))
        return cls(**values)


def feature_shape(config: ModelConfig) -> tuple[int, int, int]:
    """(C, H, W) of the last convolution block's output."""
    size, channels = config.input_size, config.in_channels
    for block in config.blocks:
        size = size + 2 * config.padding - config.kernel_size + 1
        if block.pool:
            size //= 2
        channels = block.channels
    if size < 1:
        raise ValueError(f"the architecture shrinks a {config.input_size}px input to nothing")
    return channels, size, size


def network_cost(config: ModelConfig, num_classes: int) -> tuple[int, int, int]:
    """(parameters, values computed per input, multiply-adds per input) of the network, from
    the configuration alone (nothing allocated); ValueError if a layer shrinks to nothing."""
    size, channels, k = config.input_size, config.in_channels, config.kernel_size
    parameters = activations = multiply_adds = 0
    for block in config.blocks:
        size = size + 2 * config.padding - k + 1
        if size < 1:
            raise ValueError(f"the architecture shrinks a {config.input_size}px input to nothing")
        parameters += (k * k * channels + 1 + 4 * block.batchnorm) * block.channels
        multiply_adds += size * size * k * k * channels * block.channels
        activations += 2 * size * size * block.channels  # the convolution and its ReLU
        size = size // 2 if block.pool else size
        channels = block.channels
    features = channels * size * size
    for units in (*config.hidden, num_classes):
        parameters += (features + 1) * units
        multiply_adds += features * units
        activations += units
        features = units
    return parameters, activations, multiply_adds


def build_network(config: ModelConfig, num_classes: int, rng: np.random.Generator) -> Sequential:
    """The Sequential for ``config`` with freshly initialised weights."""
    layers: list[tuple[str, Layer]] = []
    channels = config.in_channels
    for i, block in enumerate(config.blocks, start=1):
        conv = Conv2d(channels, block.channels, config.kernel_size, 1, config.padding, rng=rng)
        layers.append((f"conv{i}", conv))
        if block.batchnorm:
            layers.append((f"bn{i}", BatchNorm2d(block.channels)))
        if block.pool:  # max-pool before ReLU: the same result, 4x less ReLU work
            layers.append((f"pool{i}", MaxPool2d(2)))
        layers.append((f"relu{i}", ReLU()))
        channels = block.channels
    if config.conv_dropout > 0:
        layers.append(("dropout", Dropout(config.conv_dropout, rng=rng)))
    layers.append(("flatten", Flatten()))
    c, h, w = feature_shape(config)
    features = c * h * w
    for j, size in enumerate(config.hidden, start=1):
        layers.append((f"fc{j}", Dense(features, size, rng=rng)))
        layers.append((f"fc{j}_relu", ReLU()))
        if config.dense_dropout > 0:
            layers.append((f"fc{j}_dropout", Dropout(config.dense_dropout, rng=rng)))
        features = size
    layers.append(("out", Dense(features, num_classes, rng=rng)))
    return Sequential(layers)


class Model:
    """A network plus its class labels, architecture and metadata (training record etc.)."""

    def __init__(
        self,
        config: ModelConfig,
        labels: list[str],
        network: Sequential,
        meta: dict[str, Any] | None = None,
        extras: dict[str, Array] | None = None,
    ) -> None:
        self.config = config
        self.labels = list(labels)
        self.network = network
        self.meta: dict[str, Any] = {} if meta is None else dict(meta)
        # Arrays stored beside the network under EXTRA_PREFIX keys (the reader's context layer).
        self.extras: dict[str, Array] = {} if extras is None else dict(extras)

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    def forward(self, x: Array, *, training: bool = False) -> Array:
        """x: (N, 1, H, W) float32 -> logits (N, classes)."""
        return self.network.forward(x, training=training)

    def backward(
        self, dy: Array, *, need_input_grad: bool = True, frozen_below: int = 0
    ) -> Array | None:
        """dy: (N, classes) -> dx (N, 1, H, W), or None when ``need_input_grad`` is False;
        ``frozen_below``: see ``Sequential.backward``."""
        return self.network.backward(dy, need_input_grad=need_input_grad, frozen_below=frozen_below)

    def state_dict(self) -> dict[str, Array]:
        return self.network.state_dict()

    def load_state_dict(self, state: dict[str, Array], strict: bool = True) -> None:
        self.network.load_state_dict(state, strict=strict)

    def _check_input(self, x: Array) -> Array:
        s = self.config.input_size
        if x.ndim != 4 or x.shape[1:] != (self.config.in_channels, s, s):
            expected = f"(N, {self.config.in_channels}, {s}, {s})"
            raise ValueError(f"expected input of shape {expected}, got {x.shape}")
        return np.asarray(x, dtype=np.float32)

    def logits(self, x: Array) -> Array:
        """x: (N, 1, 28, 28) float32 in [0, 1] -> inference logits (N, classes)."""
        return self.network.predict(self._check_input(x))

    def predict_proba(self, x: Array) -> NDArray[np.float32]:
        """x: (N, 1, 28, 28) float32 in [0, 1], white ink on black -> (N, classes) float32."""
        logits = self.network.predict(self._check_input(x))
        return softmax(logits).astype(np.float32, copy=False)

    def activations(self, x: Array) -> list[tuple[str, Array]]:
        """x: (N, 1, 28, 28) -> [(layer name, (N, C, H, W))] for every conv-stack layer output
        (conv, batch norm, ReLU, pool; not dropout), in order."""
        pairs = self.network.forward_with_activations(self._check_input(x))
        kept = (Conv2d, BatchNorm2d, ReLU, MaxPool2d)
        return [
            (name, act)
            for (name, act), (_, layer) in zip(pairs, self.network.layers, strict=True)
            if act.ndim == 4 and isinstance(layer, kept)
        ]

    def file_meta(self) -> dict[str, Any]:
        """The ``__meta__`` JSON stored with the weights; ``written_by`` names this ocrpad."""
        return {
            "format": "ocrpad-model",
            "format_version": FORMAT_VERSION,
            "written_by": f"ocrpad {__version__}",
            "config": self.config.to_json(),
            "labels": self.labels,
            "info": self.meta,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model file atomically (``.npz`` + ``__meta__``)."""
        save_arrays(path, {**self.state_dict(), **self.extras}, self.file_meta())

    def copy(self) -> Model:
        """An independent copy (own weights, buffers and metadata)."""
        network = build_network(self.config, self.num_classes, np.random.default_rng(0))
        network.load_state_dict(self.state_dict())
        extras = {k: v.copy() for k, v in self.extras.items()}
        return Model(self.config, self.labels, network, copy_module.deepcopy(self.meta), extras)

    def with_extra_classes(self, new_labels: list[str], rng: np.random.Generator) -> Model:
        """A copy whose output layer also covers ``new_labels`` (known ones are ignored).

        The old classes keep their output rows; new rows start from a fresh initialisation.
        """
        added = [c for c in dict.fromkeys(new_labels) if c not in self.labels]
        validate_labels([*self.labels, *added], "labels")
        if not added:
            return self.copy()
        labels = [*self.labels, *added]
        network = build_network(self.config, len(labels), rng)
        state = self.state_dict()
        fresh = network.state_dict()
        n_old = self.num_classes
        for key in ("out.weight", "out.bias"):
            grown = fresh[key]
            grown[:n_old] = state[key]
            if key == "out.bias":
                grown[n_old:] = float(state[key].mean())
            state[key] = grown
        network.load_state_dict(state)
        extras = {k: v.copy() for k, v in self.extras.items()}
        return Model(self.config, labels, network, copy_module.deepcopy(self.meta), extras)


def build_model(
    config: ModelConfig | None = None,
    labels: list[str] | None = None,
    rng: np.random.Generator | None = None,
) -> Model:
    """A freshly initialised model (defaults: reference architecture, 62 EMNIST classes)."""
    config = ModelConfig() if config is None else config
    labels = list(DEFAULT_LABELS) if labels is None else list(labels)
    validate_labels(labels, "labels")
    rng = np.random.default_rng(0) if rng is None else rng
    return Model(config, labels, build_network(config, len(labels), rng))


def load_model(path: str | os.PathLike[str] | None = None) -> Model:
    """Load a model file; ``None`` loads the shipped default weights.

    Raises :class:`ocrpad.nn.ModelFileError` (a ``ValueError``) naming the file and the damage,
    also for a configuration or render parameters outside :mod:`ocrpad.bounds` (checked before
    any layer is built, so a hostile file costs neither time nor memory).
    """
    if path is None:
        from ocrpad import resources  # lazy: only the default path needs it

        path = resources.default_weights_path()
    built: list[tuple[ModelConfig, list[str], Sequential]] = []

    def expect(meta: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        """Every array the metadata allows, by key and shape (no other member is read)."""
        config, labels = _parse_meta(Path(path), meta)
        network = build_network(config, len(labels), np.random.default_rng(0))
        built.append((config, labels, network))
        return {**_shapes(network), **reader_shapes(meta)}

    arrays, meta = load_arrays(path, expect)
    if not built:  # pragma: no cover - load_arrays refuses a file without metadata
        raise ModelFileError(path, "no metadata")
    config, labels, network = built[0]
    extras = {k: arrays.pop(k) for k in list(arrays) if k.startswith(EXTRA_PREFIX)}
    check_info(Path(path), meta, extras, config.input_size)
    check_arrays(path, arrays, _shapes(network))
    for key, value in {**arrays, **extras}.items():
        if not np.issubdtype(value.dtype, np.floating):
            raise ModelFileError(path, f"array {key!r} has dtype {value.dtype}, expected float")
    try:  # all or nothing; refuses e.g. float64 values that overflow float32
        network.load_state_dict(arrays)
    except StateDictError as exc:
        raise ModelFileError(path, "; ".join(exc.problems)) from exc
    info = meta.get("info", {})
    return Model(config, labels, network, info if isinstance(info, dict) else {}, extras)


def _shapes(network: Sequential) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in network.state_dict().items()}


def _parse_meta(path: Path, meta: dict[str, Any]) -> tuple[ModelConfig, list[str]]:
    if meta.get("format") == "ocrpad-checkpoint":  # ocrpad-train's, beside best-model.npz
        raise ModelFileError(path, "a training checkpoint, not a model: use best-model.npz")
    if meta.get("format") != "ocrpad-model":
        raise ModelFileError(path, "metadata does not describe an ocrpad model")
    version = meta.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ModelFileError(path, f"unsupported format version {version!r}")
    try:
        labels = meta["labels"]
        if not isinstance(labels, list) or len(labels) > bounds.MAX_CLASSES:
            raise ValueError(f"labels must be a list of at most {bounds.MAX_CLASSES} characters")
        validate_labels(labels, "labels")
        bounds.check_config_json(meta["config"])
        config = ModelConfig.from_json(meta["config"])
        bounds.check_cost(*network_cost(config, len(labels)))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(path, f"invalid metadata ({exc})") from exc
    return config, list(labels)
