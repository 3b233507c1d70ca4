"""`ocrpad-fit-reader`: fit the reader's context layer for a trained model and store it there.

    ocrpad-fit-reader --data ../shared/data/unipen --data ../shared/data/unipen-symbols \\
        --weights runs/ocrpad-default.npz --out runs/ocrpad-default.npz

`--data` names the same folders (or train files) the network was trained on, in the same
order, so that its held-out writers are the same ones (`ocrpad-train`'s split: the recipe's
`val_fraction` and `seed`). Rerun it after every retraining; it takes about 23 minutes on two
cores (1,397 s for the shipped model; most of it distorting the training drawings six
times for the trace network and training its three networks).
When the folders hold a test split, its figures with and without history are recorded in the
file (`meta["reader"]["test"]`; the test split is never used to fit). They read the test files
of all the `--data` folders together, so a drawing's history holds the writer's drawings of
every set: `ocrpad-eval` prints them when given the same test files with `--only-set` (and
`--charset symbols` for the symbols' figures). The model file is replaced atomically: a run
that fails, or is stopped (Ctrl-C, SIGTERM), leaves it as it was and no temp file beside it;
the temp file of a run that was killed outright is removed by the next run.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from ocrpad.charsets import SYMBOLS, resolve_charset, taught_labels
from ocrpad.cli.arguments import check_not_an_input, check_writable, read_files, whole_number
from ocrpad.cli.eval import calibration, read_all
from ocrpad.cli.helptext import Formatter, plain
from ocrpad.cli.output import quiet_when_the_reader_leaves
from ocrpad.data.combine import limited, load_split
from ocrpad.data.unipen import StrokeDataset
from ocrpad.learning.evaluate import metrics
from ocrpad.model import Model, load_model
from ocrpad.nn.atomic import remove_abandoned_temp_files
from ocrpad.reading.fit import fit_reader
from ocrpad.reading.history import session_history


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocrpad-fit-reader", description=plain(__doc__), formatter_class=Formatter
    )
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        action="append",
        metavar="DIR",
        help="folder with *-train.npz (or a train file); repeatable, as for ocrpad-train",
    )
    parser.add_argument(
        "--weights", type=Path, default=None, metavar="FILE", help="model file (default: shipped)"
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="model file to write (.npz)"
    )
    parser.add_argument(
        "--seed", type=whole_number(0), default=0, metavar="N", help="seed of histories and batches"
    )
    return parser


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the run as Ctrl-C does: a model file being written is dropped whole."""
    raise KeyboardInterrupt


@quiet_when_the_reader_leaves
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print(f"ocrpad-fit-reader: stopped; {args.out} was not changed", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    try:
        # --out may be --weights: the model is refitted in place (replaced atomically)
        check_not_an_input(args.out, "--out", read_files(args, ("train", "test"), options=()))
        check_writable(args.out)
        remove_abandoned_temp_files(args.out.parent, of=args.out.name)  # a killed run's
        model = load_model(args.weights)
        loaded = load_split(args.data, "train")
        assert loaded is not None  # a missing train split raises
        train = trained_on(model, loaded)
        test = load_split(args.data, "test")
        fitted, report = fit_reader(model, train, seed=args.seed, progress=print)
        if test is not None:
            print(f"measuring {len(test)} test drawings with and without history")
            fitted.meta["reader"]["test"] = test_figures(fitted, test, args.seed)
            report["test"] = fitted.meta["reader"]["test"]
        fitted.save(args.out)
    except (ValueError, OSError) as exc:
        print(f"ocrpad-fit-reader: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    print(json.dumps(report))
    return 0


def trained_on(model: Model, data: StrokeDataset) -> StrokeDataset:
    """The drawings of `data` that `ocrpad-train` trained `model` on, as its record says
    (`meta["data"]`: the data's checksum and how many drawings; fewer than `data` holds when
    it was trained with --limit, whose subset is drawn again with the recipe's seed). Other
    data is refused (ValueError): its validation writers would not be the network's, and the
    odds would be calibrated on writers it learnt. A model without that record (not made by
    ocrpad-train) is fitted on `data` as it is."""
    recorded = model.meta.get("data")
    if not isinstance(recorded, dict) or not recorded.get("sha256"):
        return data
    samples, source = recorded.get("samples"), recorded.get("source", "?")
    if not isinstance(samples, int) or isinstance(samples, bool):
        samples = len(data)  # a record without the count: the checksum alone decides
    if recorded["sha256"] != data.checksum or samples > len(data):
        raise ValueError(
            f"--data is not what this model was trained on ({samples} drawings of {source}; "
            f"given {len(data)} of {data.source}): give the same folders or files, in the "
            "same order, as to ocrpad-train"
        )
    if samples < len(data):
        seed = int(model.meta.get("recipe", {}).get("seed", 0))
        print(f"the model was trained on {samples} of these {len(data)} drawings (--limit)")
        return limited(data, samples, seed)
    return data


def test_figures(model: Model, test: StrokeDataset, seed: int) -> dict[str, dict[str, Any]]:
    """What `ocrpad-eval --only-set` prints on the same combined test files, with and without
    session history: for the default character set on its own drawings (`without_history`,
    `with_history`), and for the symbols on theirs (`symbols_without_history`,
    `symbols_with_history`) when the model reads symbols. History is always the writer's other
    drawings, whatever their set."""
    default = resolve_charset("default", model.labels, taught_labels(model.meta))
    sets = {"": default}
    if any(c in SYMBOLS for c in model.labels):
        sets["symbols_"] = resolve_charset("symbols", model.labels)
    truth = test.characters()
    out: dict[str, dict[str, Any]] = {}
    for prefix, allowed in sets.items():
        rows = [i for i, c in enumerate(truth) if c in set(allowed)]
        for name, history in (
            ("without_history", None),
            ("with_history", session_history(test.writers, seed)),
        ):
            probs = read_all(model, test, allowed, history)[rows]
            chars = [truth[i] for i in rows]
            result = metrics(probs, model.labels, chars)
            result.update(calibration(probs, model.labels, chars, result["per_class"]))
            out[prefix + name] = {k: v for k, v in result.items() if k != "per_class"}
    return out


if __name__ == "__main__":
    raise SystemExit(main())
