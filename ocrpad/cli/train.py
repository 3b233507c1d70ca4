r"""`ocrpad-train`: train a model from scratch on the shared UNIPEN strokes, or resume a run.

    ocrpad-train --data ../shared/data/unipen --data ../shared/data/unipen-symbols \
        --out runs/ocrpad-default.npz

The defaults are the shipped model's recipe (letters, digits and symbols from scratch, 40% of
the drawings made coarse like other devices' traces); `--init-from` warm-starts from a model
file instead, adding the classes it lacks. Batches are rendered in a worker process. A
checkpoint is replaced atomically every 100 batches and after every epoch; Ctrl-C (or SIGTERM)
stops before the next batch and saves one there, which `--resume` continues exactly. A run into
a checkpoint folder that holds an earlier run's checkpoint needs `--resume` (go on with it) or
`--restart` (set it aside, renamed, and begin anew); `--resume` of another file than the
folder's own checkpoint is refused rather than write over it. The model file is written only when
training ends.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from tqdm import tqdm

from ocrpad.cli.arguments import check_not_an_input, check_writable, read_files, whole_number
from ocrpad.cli.helptext import Formatter, architectures_help, plain
from ocrpad.cli.output import quiet_when_the_reader_leaves
from ocrpad.cli.train_runs import (
    check_no_earlier_run,
    check_resume_writes_its_own,
    plain_os_error,
    set_aside_earlier_run,
    what_is_left,
    written,
)
from ocrpad.data.combine import limited, load_split
from ocrpad.data.unipen import StrokeDataset, file_checksum
from ocrpad.learning.fit import BEST_MODEL_NAME, CHECKPOINT_NAME, FitResult, StepStats, fit
from ocrpad.learning.recipe import ARCHITECTURES, DEFAULT_ARCH, Recipe, architecture
from ocrpad.learning.render_process import RendererError
from ocrpad.model import load_model
from ocrpad.nn.atomic import remove_abandoned_temp_files

FLAGS = {  # flag -> recipe field (None = keep the recipe's value)
    "epochs": "epochs",
    "batch_size": "batch_size",
    "lr": "lr",
    "weight_decay": "weight_decay",
    "label_smoothing": "label_smoothing",
    "ema_decay": "ema_decay",
    "val_fraction": "val_fraction",
    "seed": "seed",
    "warmup_steps": "warmup_steps",
}


def build_parser() -> argparse.ArgumentParser:
    r = Recipe()
    p = argparse.ArgumentParser(
        prog="ocrpad-train",
        description=plain(__doc__),
        epilog=architectures_help(ARCHITECTURES, DEFAULT_ARCH)
        + "\n\nA recipe flag left out keeps the value in --config's recipe, else its default.",
        formatter_class=Formatter,
    )
    p.add_argument(
        "--data",
        type=Path,
        action="append",
        help="folder with *-train.npz (and *-test.npz) or a train file; repeat to combine",
    )
    p.add_argument(
        "--out", type=Path, metavar="FILE", help="model file to write (.npz; needed with --data)"
    )
    p.add_argument(
        "--config", type=Path, metavar="FILE", help="recipe JSON (flags given here override it)"
    )
    p.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help=f"passes over the training data (default: {r.epochs})",
    )
    p.add_argument(
        "--batch-size", type=int, metavar="N", help=f"drawings per step (default: {r.batch_size})"
    )
    p.add_argument(
        "--lr",
        type=float,
        metavar="RATE",
        help=f"peak learning rate, Adam with cosine decay (default: {r.lr})",
    )
    p.add_argument(
        "--warmup-steps",
        type=int,
        metavar="N",
        help=f"steps of linear learning-rate warm-up (default: {r.warmup_steps})",
    )
    p.add_argument(
        "--weight-decay",
        type=float,
        help=f"decoupled (AdamW) weight decay (default: {r.weight_decay})",
    )
    p.add_argument(
        "--label-smoothing",
        type=float,
        help=f"share of each target spread over the other classes (default: {r.label_smoothing})",
    )
    p.add_argument(
        "--ema-decay", type=float, help=f"weight averaging decay, 0 = off (default: {r.ema_decay})"
    )
    p.add_argument(
        "--val-fraction",
        type=float,
        help="share of the training writers held out to choose the epoch "
        f"(default: {r.val_fraction})",
    )
    p.add_argument(
        "--seed", type=int, metavar="N", help=f"seed of every random draw (default: {r.seed})"
    )
    p.add_argument(
        "--arch",
        choices=sorted(ARCHITECTURES),
        help=f"named architecture, listed below (default: {DEFAULT_ARCH})",
    )
    p.add_argument(
        "--center",
        choices=["box", "mass"],
        help=f"centre drawings by bounding box or ink mass (default: {r.render.center})",
    )
    p.add_argument("--no-augment", action="store_true", help="train on canonical renderings")
    p.add_argument(
        "--coarse",
        type=float,
        help="share of drawings made coarse like other devices' traces "
        f"(default: {r.augmentation.coarse})",
    )
    p.add_argument("--init-from", type=Path, help="model file to start from (warm start)")
    p.add_argument("--resume", type=Path, help="checkpoint to continue from")
    p.add_argument(
        "--restart",
        action="store_true",
        help="begin anew although the checkpoint folder holds an earlier run's checkpoint "
        "(it is renamed checkpoint.set-aside-<time>.npz, not deleted)",
    )
    p.add_argument(
        "--checkpoint-dir", type=Path, help="where checkpoints go (default: <out>.checkpoints/)"
    )
    p.add_argument(
        "--checkpoint-every", type=whole_number(1), default=100, help="batches between saves"
    )
    p.add_argument(
        "--limit", type=whole_number(1), help="train on a random subset of this many samples"
    )
    p.add_argument("--no-test", action="store_true", help="do not score the test split")
    p.add_argument(
        "--render-in-thread",
        action="store_true",
        help="render batches in a thread of this process instead of a worker process "
        "(the same batches; slower, as rendering then competes for the GIL)",
    )
    p.add_argument("--print-recipe", action="store_true", help="print the recipe JSON and exit")
    return p


def recipe_from_args(args: argparse.Namespace) -> Recipe:
    """Defaults, then --config, then individual flags."""
    recipe = Recipe() if args.config is None else Recipe.from_json_file(args.config)
    changes: dict[str, Any] = {
        field: getattr(args, flag)
        for flag, field in FLAGS.items()
        if getattr(args, flag) is not None
    }
    if args.arch is not None:
        changes["model"] = architecture(args.arch)
    if args.center is not None:
        changes["render"] = dataclasses.replace(recipe.render, center=args.center)
    if args.no_augment:
        changes["augment"] = False
    if args.coarse is not None:
        changes["augmentation"] = dataclasses.replace(recipe.augmentation, coarse=args.coarse)
    if args.init_from is not None:
        try:
            changes["init_sha256"] = file_checksum(args.init_from)
        except OSError as exc:
            raise ValueError(f"--init-from {args.init_from}: {exc.strerror or exc}") from exc
    return recipe.replace(**changes)


def _load(args: argparse.Namespace, seed: int) -> tuple[StrokeDataset, StrokeDataset | None]:
    sources: list[Path] = args.data
    train = load_split(sources, "train")
    assert train is not None  # a missing train split raises
    train = limited(train, args.limit, seed)
    test = None if args.no_test else load_split(sources, "test")
    return train, test


class _Stopper:
    """First Ctrl-C / SIGTERM asks training to stop at the next batch; a second one aborts."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt  # main says which checkpoint is left, without a traceback
        self.requested = True
        tqdm.write("stopping after this batch (the last checkpoint stays resumable)…")


def _fit(train: StrokeDataset, recipe: Recipe, **kwargs: Any) -> FitResult | None:
    """`fit`, or None when a second Ctrl-C stopped it at once (the last checkpoint written,
    which is atomic, stays as it was)."""
    try:
        return fit(train, recipe, **kwargs)
    except KeyboardInterrupt:
        return None


@quiet_when_the_reader_leaves
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.print_recipe and (args.data is None or args.out is None):
        parser.error("--data and --out are required (only --print-recipe needs neither)")
    if args.resume is not None and args.restart:
        parser.error("--resume continues a run and --restart begins anew: give one of them")
    try:
        recipe = recipe_from_args(args)
        if args.print_recipe:
            print(json.dumps(recipe.to_dict(), indent=2))
            return 0
        checkpoints = args.checkpoint_dir or args.out.with_name(args.out.name + ".checkpoints")
        check_not_an_input(args.out, "--out", read_files(args, ("train", "test")))
        check_writable(args.out)
        check_writable(checkpoints / CHECKPOINT_NAME)
        if args.resume is None:
            check_no_earlier_run(checkpoints, args.restart)
        else:
            check_resume_writes_its_own(checkpoints, args.resume)
        train, test = _load(args, recipe.seed)
        init = None if args.init_from is None else load_model(args.init_from)
        for name in (CHECKPOINT_NAME, BEST_MODEL_NAME):  # writes of ours killed half-way
            remove_abandoned_temp_files(checkpoints, of=name)  # not others' hidden *.tmp
        remove_abandoned_temp_files(args.out.parent, of=args.out.name)  # and of --out
        if args.resume is None:
            set_aside_earlier_run(checkpoints)  # --restart (the check above refused without)
    except BrokenPipeError:
        raise  # the reader of --print-recipe stopped: not an error (see cli.output)
    except (ValueError, OSError) as exc:
        print(f"ocrpad-train: error: {exc}", file=sys.stderr)
        return 2
    stopper = _Stopper()
    signal.signal(signal.SIGINT, stopper.handle)
    signal.signal(signal.SIGTERM, stopper.handle)
    resume = checkpoints / CHECKPOINT_NAME
    earlier = written(resume)  # the checkpoint --resume continues, if it is this one
    print(f"training on {len(train)} samples; checkpoints in {checkpoints}", flush=True)
    bars: dict[int, Any] = {}

    def on_step(epoch: int, s: StepStats) -> None:
        if epoch not in bars:
            bars[epoch] = tqdm(
                total=s.batches, desc=f"epoch {epoch + 1}/{recipe.epochs}", unit="batch"
            )
        bars[epoch].update(s.batch - bars[epoch].n)
        bars[epoch].set_postfix(
            loss=f"{s.loss:.3f}", acc=f"{s.accuracy:.3f}", img_s=f"{s.images_per_second:.0f}"
        )

    def on_epoch(record: dict[str, Any]) -> None:
        bar = bars.pop(record["epoch"] - 1, None)
        if bar is not None:
            bar.close()
        parts = [f"epoch {record['epoch']}: loss {record['loss']:.4f}"]
        if "val" in record:  # the test split is scored once, at the end
            r = record["val"]
            parts.append(f"val acc {r['accuracy']:.4f} merged {r['merged_accuracy']:.4f}")
        tqdm.write("  ".join(parts) + f"  ({record['seconds']:.0f} s)")

    try:
        result = _fit(
            train,
            recipe,
            test=test,
            checkpoint_dir=checkpoints,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume,
            on_step=on_step,
            on_epoch=on_epoch,
            cancel=stopper,
            init=init,
            render_in_process=not args.render_in_thread,
        )
    except RendererError as exc:
        if not stopper.requested:
            print(f"ocrpad-train: error: {exc}", file=sys.stderr)
            return 2
        result = None  # the renderer died of the same signal (a SIGTERM to the whole group)
    except ValueError as exc:
        print(f"ocrpad-train: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a checkpoint that cannot be written (full disk, read-only folder)
        for bar in bars.values():
            bar.close()
        hint = what_is_left(resume, earlier, args.resume, stopped=False)
        print(f"ocrpad-train: error: {plain_os_error(exc)}; stopped: {hint}", file=sys.stderr)
        return 2
    for bar in bars.values():
        bar.close()
    if result is None or not result.completed:
        stopped = "stopped at once" if result is None else "stopped"
        print(f"{stopped}; {what_is_left(resume, earlier, args.resume, stopped=True)}")
        return 130
    try:
        result.model.save(args.out)
    except OSError as exc:  # e.g. the disk filled up during training; the checkpoints remain
        print(
            f"ocrpad-train: error: {exc}; the last checkpoint is in {checkpoints}", file=sys.stderr
        )
        return 2
    print(f"wrote {args.out} (best epoch {result.model.meta['best_epoch']})")
    print(json.dumps(result.model.meta["metrics"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
