"""What a model file's ``info`` metadata says beside the network: the render parameters its
inputs were made with, and the reader's context-layer arrays (``reader.*``) stored with it.

Checked by ``load_model``: the arrays the reader's metadata allows are known before any array
is read (``reader_shapes``), and the render parameters and reader arrays once read
(``check_info``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from ocrpad.nn import ModelFileError


def _info(meta: dict[str, Any]) -> dict[str, Any]:
    info = meta.get("info", {})
    return info if isinstance(info, dict) else {}


def reader_shapes(meta: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Every ``reader.*`` array the file's metadata allows, by key and shape."""
    from ocrpad.reading.context_file import array_shapes  # lazy: reading is not the model's

    return array_shapes(_info(meta).get("reader"))


def check_info(
    path: Path, meta: dict[str, Any], extras: dict[str, NDArray[Any]], input_size: int
) -> None:
    """The render parameters stored with the weights (if any) must be sane and match the
    input, and the reader arrays must be those its metadata describes, each of its shape
    (a foreign ``reader.*`` array of any size used to load and sit in memory unused)."""
    from ocrpad.preprocess import render_params_of  # lazy: drawing code is not the model's
    from ocrpad.reading.context_file import check_arrays as check_reader  # nor is reading

    info = _info(meta)
    try:
        params = render_params_of(info)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(path, f"invalid render parameters ({exc})") from exc
    if params.size != input_size:
        raise ModelFileError(path, f"renders {params.size}px inputs for a {input_size}px network")
    try:
        check_reader(extras, info.get("reader"))
    except ValueError as exc:
        raise ModelFileError(path, str(exc)) from exc
