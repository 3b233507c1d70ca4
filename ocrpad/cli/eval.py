"""`ocrpad-eval`: measure a model on a stroke file of the shared format.

    ocrpad-eval --data ../shared/data/unipen/unipen-test.npz [--weights FILE] [--json]
                [--confusion confusion.png] [--charset SET] [--coarse N]

Strokes are rendered with the model's own render parameters (`render_strokes`); classes are
matched by character. `--json` prints one JSON object as the last line of stdout. The answer
is restricted to the model's default set (letters and digits, plus classes a user taught)
unless `--charset` names another (digits, upper, lower, letters, alnum, symbols, all, or the
characters themselves). `--coarse N` measures other devices' traces: every drawing joined into
one polyline (pen-up moves drawn as ink) and resampled by arc length to N points.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from ocrpad.charsets import resolve_charset, restrict, taught_labels
from ocrpad.cli.helptext import Formatter, plain
from ocrpad.data.coarse import coarse_dataset
from ocrpad.data.combine import concat_datasets
from ocrpad.data.unipen import load_unipen
from ocrpad.learning.evaluate import (
    confused_pairs,
    confusion_matrix,
    metrics,
    predict_in_batches,
)
from ocrpad.model import load_model
from ocrpad.preprocess import render_params_of


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocrpad-eval", description=plain(__doc__), formatter_class=Formatter
    )
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="FILE",
        action="append",
        help="stroke file (.npz); repeatable",
    )
    parser.add_argument(
        "--charset",
        default="default",
        metavar="SET",
        help="answer only from this set: digits, upper, lower, letters, alnum, symbols, all, "
        "default (letters, digits and the classes a user taught) or the characters themselves",
    )
    parser.add_argument(
        "--coarse",
        type=int,
        metavar="N",
        help="join each drawing's strokes and resample it to N points",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        metavar="FILE",
        default=None,
        help="model file (default: the shipped model)",
    )
    parser.add_argument("--json", action="store_true", help="print the metrics as one JSON line")
    parser.add_argument(
        "--confusion",
        type=Path,
        metavar="FILE",
        default=None,
        help="write the confusion matrix as a PNG",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        default=512,
        help="drawings the network reads at once",
    )
    parser.add_argument(
        "--worst",
        type=int,
        metavar="N",
        default=10,
        help="how many worst classes and confused pairs to list",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        model = load_model(args.weights)
        data = concat_datasets([load_unipen(path, images=False) for path in args.data])
        allowed = resolve_charset(args.charset, model.labels, taught_labels(model.meta))
        if args.coarse is not None and args.coarse < 2:
            raise ValueError("--coarse needs at least 2 points")
    except (ValueError, OSError) as exc:
        print(f"ocrpad-eval: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if args.coarse is not None:
        data = coarse_dataset(data, args.coarse)
    images = data.render_all(render_params_of(model.meta))
    probs = restrict(predict_in_batches(model, images, args.batch_size), model.labels, allowed)
    seconds = time.perf_counter() - start
    truth = data.characters()
    result = metrics(probs, model.labels, truth)
    if args.confusion is not None:
        save_confusion_png(
            confusion_matrix(model.labels, probs, truth), model.labels, args.confusion
        )
    if args.json:
        print(json.dumps(result, sort_keys=False))
    else:
        print(report(result, confused_pairs(model.labels, probs, truth, args.worst), args.worst))
        print(f"({len(truth)} samples rendered and classified in {seconds:.1f} s)")
    return 0


def report(result: dict[str, Any], pairs: list[tuple[str, str, int]], worst: int) -> str:
    """A readable summary: headline figures, groups, worst classes, most-confused pairs."""
    lines = [f"samples              {result['samples']}"]
    for key in ("accuracy", "balanced_accuracy", "merged_accuracy", "top3_accuracy"):
        lines.append(f"{key:<20} {result[key]:.4f}")
    lines.append(f"{'restricted_accuracy':<20} {result['restricted_accuracy']:.4f}")
    groups = "  ".join(f"{k} {v:.4f}" for k, v in result["per_group"].items())
    lines.append(f"per group (restricted argmax): {groups}")
    ranked = sorted(result["per_class"].items(), key=lambda kv: kv[1])[:worst]
    lines.append("worst classes: " + "  ".join(f"{c!r} {a:.3f}" for c, a in ranked))
    lines.append("most confused (true → predicted, count):")
    lines.extend(f"  {t!r} → {p!r}  {n}" for t, p, n in pairs)
    return "\n".join(lines)


def save_confusion_png(matrix: NDArray[np.int64], labels: Sequence[str], path: Path) -> None:
    """Row-normalised confusion matrix as a PNG: dark = rare, bright = frequent (sqrt scale)."""
    cell, margin = 12, 16
    n = len(labels)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    shade = (np.sqrt(rates) * 255).astype(np.uint8)  # (C, C)
    big = np.kron(shade, np.ones((cell, cell), dtype=np.uint8))
    image = Image.new("RGB", (margin + n * cell, margin + n * cell), "white")
    heat = Image.fromarray(big)
    image.paste(Image.merge("RGB", (heat, heat.point(lambda v: v // 2), heat)), (margin, margin))
    draw = ImageDraw.Draw(image)
    for i, c in enumerate(labels):
        draw.text((margin + i * cell + 3, 2), c, fill="black")
        draw.text((4, margin + i * cell), c, fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


if __name__ == "__main__":
    raise SystemExit(main())
