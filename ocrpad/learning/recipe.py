"""The training recipe: every knob of `fit`, with defaults that reproduce the shipped model."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ocrpad.bounds import check_config_json, float_in, int_in
from ocrpad.data.augment import AugmentParams
from ocrpad.files import check_regular_file
from ocrpad.model import ConvBlock, ModelConfig
from ocrpad.preprocess import RenderParams

ARCHITECTURES: Final[dict[str, ModelConfig]] = {
    "reference": ModelConfig(),
    # Four 3x3 conv layers with batch norm, 28 -> 14 -> 7, then dense 256.
    "bn4": ModelConfig(
        blocks=(
            ConvBlock(32, batchnorm=True),
            ConvBlock(32, batchnorm=True, pool=True),
            ConvBlock(64, batchnorm=True),
            ConvBlock(64, batchnorm=True, pool=True),
        ),
        padding=1,
        conv_dropout=0.25,
        hidden=(256,),
        dense_dropout=0.3,
    ),
    # bn4 plus a 128-channel block down to 3x3: more capacity for 62 classes.
    "bn5": ModelConfig(
        blocks=(
            ConvBlock(32, batchnorm=True),
            ConvBlock(32, batchnorm=True, pool=True),
            ConvBlock(64, batchnorm=True),
            ConvBlock(64, batchnorm=True, pool=True),
            ConvBlock(128, batchnorm=True, pool=True),
        ),
        padding=1,
        conv_dropout=0.2,
        hidden=(256,),
        dense_dropout=0.3,
    ),
    # bn5 at 1.5x the width: about 2.2x the compute.
    "bn5w": ModelConfig(
        blocks=(
            ConvBlock(48, batchnorm=True),
            ConvBlock(48, batchnorm=True, pool=True),
            ConvBlock(96, batchnorm=True),
            ConvBlock(96, batchnorm=True, pool=True),
            ConvBlock(192, batchnorm=True, pool=True),
        ),
        padding=1,
        conv_dropout=0.2,
        hidden=(384,),
        dense_dropout=0.3,
    ),
}
DEFAULT_ARCH: Final = "bn5"


@dataclass(frozen=True)
class Recipe:
    """How a model is trained from scratch (stored in the model file's metadata)."""

    epochs: int = 14
    batch_size: int = 128
    lr: float = 2e-3  # Adam peak learning rate (cosine decay after a linear warm-up)
    final_lr: float = 1e-5
    warmup_steps: int = 500
    weight_decay: float = 0.02  # decoupled (AdamW)
    label_smoothing: float = 0.1
    ema_decay: float = 0.999  # exponential moving average of the weights; 0 = off
    val_fraction: float = 0.05  # writers held out of train for model selection
    seed: int = 0
    augment: bool = True
    model: ModelConfig = field(default_factory=lambda: ARCHITECTURES[DEFAULT_ARCH])
    render: RenderParams = field(default_factory=RenderParams)
    # 40% of drawings made coarse like other pens' and mice's traces (few points, joined strokes)
    augmentation: AugmentParams = field(default_factory=lambda: AugmentParams(coarse=0.4))
    init_sha256: str = ""  # a warm start: the sha256 of the model file it started from

    def __post_init__(self) -> None:
        """ValueError naming the first knob out of bounds, before any data is read."""
        values = vars(self)
        int_in(values, "epochs", 1, 10_000)
        int_in(values, "batch_size", 1, 1 << 16)
        int_in(values, "warmup_steps", 0, 1 << 40)
        int_in(values, "seed", 0, (1 << 63) - 1)
        if float_in(values, "lr", 0.0, 10.0) == 0.0:
            raise ValueError("lr must be above 0: a rate of 0 trains nothing")
        float_in(values, "final_lr", 0.0, 10.0)
        float_in(values, "weight_decay", 0.0, 1.0)
        for key in ("label_smoothing", "ema_decay", "val_fraction"):
            float_in(values, key, 0.0, 1.0, open_high=True)
        if not isinstance(self.augment, bool) or not isinstance(self.init_sha256, str):
            raise ValueError("augment must be true or false and init_sha256 a string")
        kinds = {"model": ModelConfig, "render": RenderParams, "augmentation": AugmentParams}
        for key, kind in kinds.items():
            if not isinstance(values[key], kind):
                raise ValueError(f"{key} must be a {kind.__name__}, not {values[key]!r}")
        if self.render.size != self.model.input_size:
            raise ValueError(
                f"render.size ({self.render.size}) must be the network's input size "
                f"(model.input_size, {self.model.input_size}): drawings are rendered for it"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (nested configs as dicts)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["model"] = self.model.to_json()
        out["render"] = self.render.to_dict()
        out["augmentation"] = self.augmentation.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recipe:
        """Inverse of `to_dict`; missing keys take defaults, unknown keys and values of the
        wrong kind are a ValueError naming them."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a recipe is a JSON object of settings, not {type(data).__name__}")
        for key in ("render", "augmentation"):
            if key in data and not isinstance(data[key], Mapping):
                raise ValueError(f"recipe {key} must be an object of settings, not {data[key]!r}")
        if "model" in data and not isinstance(data["model"], str | Mapping):
            raise ValueError(f"recipe model must be a name or an object, not {data['model']!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown recipe keys: {sorted(unknown)}")
        values = dict(data)
        if isinstance(values.get("model"), str):
            values["model"] = architecture(values["model"])
        elif "model" in values:
            check_config_json(values["model"])
            try:
                values["model"] = ModelConfig.from_json(values["model"])
            except TypeError as exc:  # a key the configuration does not have
                raise ValueError(f"recipe model: {exc}") from None
        if "render" in values:
            values["render"] = RenderParams.from_dict(values["render"])
        if "augmentation" in values:
            raw: dict[str, Any] = dict(values["augmentation"])
            aug: dict[str, Any] = {
                k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()
            }
            known = {f.name for f in dataclasses.fields(AugmentParams)}
            if set(aug) - known:
                raise ValueError(f"unknown augmentation keys: {sorted(set(aug) - known)}")
            values["augmentation"] = AugmentParams(**aug)
        return cls(**values)

    @classmethod
    def from_json_file(cls, path: str | Path) -> Recipe:
        """The recipe in a JSON file; ValueError naming the file when it is not one."""
        text = check_regular_file(path).read_text(encoding="utf-8")
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not a JSON recipe ({exc})") from exc

    def replace(self, **changes: Any) -> Recipe:
        return dataclasses.replace(self, **changes)


def architecture(name: str) -> ModelConfig:
    """A named architecture (see ARCHITECTURES)."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(
            f"unknown architecture {name!r}; choose from {sorted(ARCHITECTURES)}"
        ) from None
