"""`ocrpad-eval`: measure a model on a stroke file of the shared format.

    ocrpad-eval --data ../shared/data/unipen [--weights FILE] [--json]
                [--confusion confusion.png] [--charset SET] [--coarse N [--coarse-by time]]

`--data` names a stroke file, or a folder whose `*-test.npz` is read (as ocrpad-train and
ocrpad-fit-reader find their splits); it repeats, to read several together. It also takes a
copy of EMNIST or MNIST as distributed: the test images IDX file (its labels file and, for
EMNIST, its mapping file beside it), EMNIST's MATLAB file (`emnist-byclass.mat`: its test
split), or a folder holding one of them; those are pictures without
strokes, read as the window reads an opened picture (the network and the reader's
calibration, no history, no --coarse).

Strokes are rendered with the model's own render parameters (`render_strokes`); classes are
matched by character. `--json` prints one JSON object as the last line of stdout. The answer
is restricted to the model's default set (letters and digits, plus classes a user taught)
unless `--charset` names another (digits, upper, lower, letters, alnum, symbols, all, or the
characters themselves). `--history session` reads each drawing with up to 30 other drawings of
the same writer (seeded, never itself) as the reader's history; `--history labelled` gives the
same history with each drawing's character known, as the window's history of saved samples
and corrected answers is (`reading.Labelled`). `--coarse N` measures other
devices' traces: every drawing joined into one polyline (pen-up moves drawn as ink) and
resampled by arc length to N points (`--coarse-by time`: N of its recorded points, evenly in
time, as a device with a low sampling rate gives them). `--only-set` scores only the drawings
of the character set (e.g. the symbols, read with the same writer's letters as history). The
JSON adds `ece` and `worst_class`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from ocrpad.charsets import resolve_charset, taught_labels
from ocrpad.cli.arguments import check_not_an_input, check_writable, read_files, whole_number
from ocrpad.cli.eval_pictures import is_pictures, picture_data, read_pictures
from ocrpad.cli.helptext import Formatter, plain
from ocrpad.cli.output import quiet_when_the_reader_leaves
from ocrpad.data.coarse import coarse_dataset
from ocrpad.data.combine import concat_datasets, split_file
from ocrpad.data.emnist_files import IDX_LABELS
from ocrpad.data.unipen import StrokeDataset, load_unipen
from ocrpad.learning.evaluate import (
    GROUPS,
    confused_pairs,
    confusion_matrix,
    metrics,
)
from ocrpad.model import Model, load_model
from ocrpad.preprocess import render_params_of
from ocrpad.reading import Reader
from ocrpad.reading.history import session_history, stroke_geometry
from ocrpad.reading.scoring import expected_calibration_error
from ocrpad.reading.trace import dataset_features

MAX_COARSE_POINTS: Final = 10_000
"""The most points `--coarse` may resample a drawing to (UNIPEN's densest drawing has 808):
every drawing gets that many, so a number past any trace's only costs memory, and a huge one
ended in a MemoryError."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocrpad-eval", description=plain(__doc__), formatter_class=Formatter
    )
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="PATH",
        action="append",
        help="stroke file (.npz), or a folder whose *-test.npz is read; or EMNIST/MNIST "
        "test images (*-images-idx3-ubyte[.gz] or EMNIST's .mat, or their folder); repeatable",
    )
    parser.add_argument(
        "--charset",
        default="default",
        metavar="SET",
        help="answer only from this set: digits, upper, lower, letters, alnum, symbols, all, "
        "default (letters, digits and the classes a user taught) or the characters themselves",
    )
    parser.add_argument(
        "--only-set",
        action="store_true",
        help="score only the drawings of the character set; the others still serve as history",
    )
    parser.add_argument(
        "--coarse",
        type=whole_number(2, MAX_COARSE_POINTS),
        metavar="N",
        help="join each drawing's strokes and resample it to N points "
        f"(2 to {MAX_COARSE_POINTS:,})",
    )
    parser.add_argument(
        "--coarse-by",
        choices=("arc", "time"),
        default="arc",
        help="with --coarse: keep points evenly along the ink (arc) or evenly in time",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        metavar="FILE",
        default=None,
        help="model file (default: the shipped model)",
    )
    parser.add_argument(
        "--history",
        choices=["none", "session", "labelled"],
        default="none",
        help="session: read each drawing with up to 30 other drawings of its writer; "
        "labelled: the same, their characters known (as saved samples are)",
    )
    parser.add_argument(
        "--seed", type=whole_number(0), default=0, help="seed of the session histories"
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
        type=whole_number(1),
        metavar="N",
        default=512,
        help="drawings the network reads at once",
    )
    parser.add_argument(
        "--worst",
        type=whole_number(0),
        metavar="N",
        default=10,
        help="how many worst classes and confused pairs to list",
    )
    return parser


@quiet_when_the_reader_leaves
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        model = load_model(args.weights)
        allowed = resolve_charset(args.charset, model.labels, taught_labels(model.meta))
        pictures = picture_data(args) if any(is_pictures(p) for p in args.data) else None
        data = None if pictures else load_strokes(args.data)
        if args.confusion is not None:
            check_not_an_input(args.confusion, "--confusion", read_files(args, ("test",)))
            check_writable(args.confusion)
    except (ValueError, OSError) as exc:
        print(f"ocrpad-eval: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if pictures is not None:
        probs = read_pictures(model, pictures, allowed, args.batch_size)
        seconds = time.perf_counter() - start
        truth = pictures.characters
        return print_results(args, model, allowed, probs, truth, seconds, rendered=False)
    assert data is not None
    if args.coarse is not None:
        data = coarse_dataset(data, args.coarse, by=args.coarse_by)
    history = None if args.history == "none" else session_history(data.writers, args.seed)
    known = None
    if args.history == "labelled":
        index = {c: i for i, c in enumerate(model.labels)}
        known = np.array([index.get(c, -1) for c in data.characters()], dtype=np.int64)
    probs = read_all(model, data, allowed, history, args.batch_size, known)
    seconds = time.perf_counter() - start
    return print_results(args, model, allowed, probs, data.characters(), seconds)


def print_results(
    args: argparse.Namespace,
    model: Model,
    allowed: list[str],
    probs: NDArray[np.float32],
    truth: list[str],
    seconds: float,
    rendered: bool = True,
) -> int:
    """Score probabilities (N, C) against the true characters and print them as asked
    (`rendered`: the samples were drawn from strokes, not given as pictures)."""
    if not set(truth) & set(allowed):
        theirs = " or ".join(
            f"--charset {k}" for k, chars in GROUPS.items() if set(chars) & set(truth)
        )
        print(
            f"{'ocrpad-eval: error' if args.only_set else 'note'}: none of these drawings is a "
            f"character of the set {args.charset!r} that the answers come from; choose "
            f"theirs with {theirs or '--charset and their characters'}",
            file=sys.stderr,
        )
        if args.only_set:  # nothing to score
            return 2
    if args.only_set:
        rows = [i for i, c in enumerate(truth) if c in set(allowed)]
        probs, truth = probs[rows], [truth[i] for i in rows]
    result = metrics(probs, model.labels, truth)
    result.update(calibration(probs, model.labels, truth, result["per_class"]))
    print_figures(args, model, allowed, probs, truth, result, seconds, rendered)
    if args.confusion is not None:  # only the classes that can be answered or were drawn
        shown = [i for i, c in enumerate(model.labels) if c in set(allowed) | set(truth)]
        matrix = confusion_matrix(model.labels, probs, truth)[np.ix_(shown, shown)]
        try:
            save_confusion_png(matrix, [model.labels[i] for i in shown], args.confusion)
        except OSError as exc:
            print(f"ocrpad-eval: error: the confusion matrix was not saved: {exc}", file=sys.stderr)
            return 1
    return 0


def print_figures(
    args: argparse.Namespace,
    model: Model,
    allowed: list[str],
    probs: NDArray[np.float32],
    truth: list[str],
    result: dict[str, Any],
    seconds: float,
    rendered: bool,
) -> None:
    """The figures as JSON (one line) or as a readable report."""
    if args.json:
        print(json.dumps(result, sort_keys=False))
    else:
        weights = args.weights or "the shipped model"
        print(f"{weights} · history {args.history} · read as {args.charset} ({len(allowed)})")
        print(report(result, confused_pairs(model.labels, probs, truth, args.worst), args.worst))
        done = "rendered and classified" if rendered else "classified (pictures: no history)"
        print(f"({len(truth)} samples {done} in {seconds:.1f} s)")


def load_strokes(paths: Sequence[Path]) -> StrokeDataset:
    """Stroke files, or the `*-test.npz` of folders, as one dataset."""
    for path in paths:
        if IDX_LABELS.search(path.name):
            images = IDX_LABELS.sub(lambda m: "images-idx3-ubyte" + (m[1] or ""), path.name)
            raise ValueError(f"{path}: an IDX labels file; name its images file ({images})")
    files = [split_file(p, "test") if p.is_dir() else p for p in paths]
    return concat_datasets([load_unipen(path, images=False) for path in files])


def read_all(
    model: Model,
    data: StrokeDataset,
    allowed: list[str],
    history: list[list[int]] | None,
    batch_size: int = 512,
    known: NDArray[np.int64] | None = None,
) -> NDArray[np.float32]:
    """Every drawing read through the Reader → probabilities (N, C) over the model's labels
    (0 outside `allowed`). `known`: class indices of drawings that serve as labelled history
    (see `Reader.read_batch`)."""
    images = data.render_all(render_params_of(model.meta))[:, None]  # (N, 1, 28, 28)
    logits = np.concatenate(
        [model.logits(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
    )
    reader = Reader(model, charset=allowed)
    sizes = stroke_geometry(data.points, data.stroke_offsets, data.sample_offsets)
    columns = [model.labels.index(c) for c in reader.labels]
    probs = np.zeros((len(data), model.num_classes), dtype=np.float32)
    traces = None
    if reader.context is not None and reader.context.trace is not None:
        traces = dataset_features(data)  # the pen's path, for the trace network
    probs[:, columns] = reader.read_batch(logits, sizes, history, known, traces=traces)
    return probs


def calibration(
    probs: NDArray[np.float32], labels: list[str], truth: list[str], per_class: dict[str, float]
) -> dict[str, Any]:
    """`ece` (15 bins, of the top answer) and `worst_class` (lowest per-class accuracy)."""
    index = {c: i for i, c in enumerate(labels)}
    target = np.array([index.get(c, -1) for c in truth], dtype=np.int64)
    worst = min(per_class.items(), key=lambda kv: kv[1]) if per_class else ("", 0.0)
    return {
        "ece": expected_calibration_error(probs, target),
        "worst_class": {"label": worst[0], "accuracy": worst[1]},
    }


def report(result: dict[str, Any], pairs: list[tuple[str, str, int]], worst: int) -> str:
    """A readable summary: headline figures, groups, worst classes, most-confused pairs."""
    lines = [f"samples              {result['samples']}"]
    for key in ("accuracy", "balanced_accuracy", "merged_accuracy", "top3_accuracy"):
        lines.append(f"{key:<20} {result[key]:.4f}")
    restricted = result["restricted_accuracy"]
    lines.append(
        f"{'restricted_accuracy':<20} {'—' if restricted is None else f'{restricted:.4f}'}"
    )
    lines.append(f"{'ece':<20} {result['ece']:.4f}")
    groups = "  ".join(  # a group none of whose characters was drawn: no figure
        f"{k} —" if v is None else f"{k} {v:.4f}" for k, v in result["per_group"].items()
    )
    lines.append(f"per group (restricted argmax): {groups}")
    ranked = sorted(result["per_class"].items(), key=lambda kv: kv[1])[:worst]
    lines.append("worst classes: " + "  ".join(f"{c!r} {a:.3f}" for c, a in ranked))
    lines.append("most confused (true → predicted, count):")
    lines.extend(f"  {t!r} → {p!r}  {n}" for t, p, n in pairs)
    return "\n".join(lines)


def save_confusion_png(matrix: NDArray[np.int64], labels: Sequence[str], path: Path) -> None:
    """Row-normalised confusion matrix as a PNG: dark = rare, bright = frequent (sqrt scale);
    rows are the true classes, columns the answers, as a title line above them says."""
    cell, margin, title = 12, 16, 14
    n = len(labels)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    shade = (np.sqrt(rates) * 255).astype(np.uint8)  # (C, C)
    big = np.kron(shade, np.ones((cell, cell), dtype=np.uint8))
    image = Image.new("RGB", (max(margin + n * cell, 190), title + margin + n * cell), "white")
    heat = Image.fromarray(big)
    tinted = Image.merge("RGB", (heat, heat.point(lambda v: v // 2), heat))
    image.paste(tinted, (margin, title + margin))
    draw = ImageDraw.Draw(image)
    draw.text((2, 1), "rows: true · columns: answered", fill="black")
    for i, c in enumerate(labels):
        draw.text((margin + i * cell + 3, title + 2), c, fill="black")
        draw.text((4, title + margin + i * cell), c, fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")  # whatever the name ends with


if __name__ == "__main__":
    raise SystemExit(main())
