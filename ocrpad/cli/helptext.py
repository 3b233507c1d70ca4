"""What ``--help`` prints for every command: plain text, each option's default, and the named
architectures spelled out."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from ocrpad.model import ModelConfig


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description's example lines as written and adds "(default: …)" to every
    option that has a real default (not None, not a switch that is off)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        off = default is None or default is False or default == argparse.SUPPRESS
        shown = not off and action.option_strings  # 0 is a real default: `in (…, False)` hid it
        if shown and "%(default)" not in text and "default" not in text:
            text += " (default: %(default)s)"
        return text


def plain(doc: str | None) -> str:
    """A module docstring as command help: without the reStructuredText quote marks."""
    return (doc or "").replace("``", "").replace("`", "").strip()


def architecture_line(name: str, config: ModelConfig) -> str:
    """'bn5: 5 conv layers (32-32-64-64-128 channels, batch norm), dense 256'."""
    channels = "-".join(str(block.channels) for block in config.blocks)
    norm = ", batch norm" if any(block.batchnorm for block in config.blocks) else ""
    dense = "-".join(str(h) for h in config.hidden) or "none"
    layers = len(config.blocks)
    return f"{name}: {layers} conv layers ({channels} channels{norm}), dense {dense}"


def architectures_help(architectures: Mapping[str, ModelConfig], default: str) -> str:
    """The epilog listing every named architecture, marking the default."""
    lines = ["architectures (--arch):"]
    for name, config in sorted(architectures.items()):
        mark = "  (the default)" if name == default else ""
        lines.append(f"  {architecture_line(name, config)}{mark}")
    return "\n".join(lines)
