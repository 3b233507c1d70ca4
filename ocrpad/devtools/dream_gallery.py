"""The README's dream picture: every class's dream in the gallery's grid, saved as a PNG.

``python -m ocrpad.devtools.dream_gallery assets/dreams.png [--weights FILE] [--chars g8A…]``
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ocrpad.app.explain.gallery import gallery_image


def main(argv: list[str] | None = None) -> int:
    """Dream the chosen classes of a model and save the gallery grid as a PNG."""
    parser = argparse.ArgumentParser(prog="python -m ocrpad.devtools.dream_gallery")
    parser.add_argument("output", type=Path)
    parser.add_argument("--weights", type=Path, default=None, help="default: shipped model")
    parser.add_argument("--chars", default=None, help="classes to show (default: all)")
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from ocrpad.explain.dream import dream_classes
    from ocrpad.model import load_model

    app = QGuiApplication.instance() or QGuiApplication([])
    model = load_model(args.weights)
    names = list(args.chars) if args.chars else list(model.labels)
    images = dream_classes(model, [model.labels.index(c) for c in names], seed=args.seed)
    ok = gallery_image(images, names, args.columns).save(str(args.output))
    print(f"{len(names)} dreams of {args.weights or 'the default model'} -> {args.output}: {ok}")
    del app
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
