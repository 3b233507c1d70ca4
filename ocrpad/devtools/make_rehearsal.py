"""Write the rehearsal set shipped beside the weights (``weights/rehearsal.npz``).

    python -m ocrpad.devtools.make_rehearsal --data ../shared/data/unipen \
        [--data ../shared/data/unipen-symbols] [--per-class 20]

It copies a few random drawings of every class from the *training* split (strokes, in the shared
stroke-array format) so that fine-tuning can rehearse what the base model knows.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ocrpad.data.combine import split_file
from ocrpad.learning.rehearsal import default_rehearsal_path, write_rehearsal


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make_rehearsal", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        action="append",
        help="folder with *-train.npz; repeat to add e.g. the symbols",
    )
    parser.add_argument("--per-class", type=int, default=20, help="drawings of each class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="default: weights/rehearsal.npz")
    args = parser.parse_args(argv)
    out = args.out if args.out is not None else default_rehearsal_path()
    sources = [split_file(folder, "train") for folder in args.data]
    count = write_rehearsal(sources, out, args.per_class, args.seed)
    print(f"wrote {count} drawings to {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
