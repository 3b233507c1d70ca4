"""load_model checks every size a model file names before it allocates anything."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from npz_helpers import CUT_HEADER, replace_member

from ocrpad.model import build_model, load_model
from ocrpad.nn import ModelFileError, serialization

HOSTILE_CONFIGS: dict[str, dict[str, Any]] = {
    "kernel size 0": {"kernel_size": 0},
    "a 100,000-pixel input": {"input_size": 100_000},
    "a 2,000,000-unit layer": {"hidden": [2_000_000]},
    "a million channels": {"blocks": [{"channels": 1_000_000}]},
    "a boolean kernel": {"kernel_size": True},
    "a negative padding": {"padding": -1},
    "padding wider than any kernel": {"padding": 50},
    "a text layer size": {"hidden": "128"},
    "blocks that are one object": {"blocks": {"channels": 3}},
    "seventeen blocks": {"blocks": [{"channels": 1}] * 17, "padding": 1},
    "a NaN dropout": {"conv_dropout": float("nan")},
    "a dropout of 1": {"dense_dropout": 1.0},
    "a block that is a number": {"blocks": [5]},
    "many wide layers": {"hidden": [16_384] * 8, "blocks": [{"channels": 1024}] * 3},
    "a configuration that is a list": [],  # type: ignore[dict-item]
}


def _rewrite_meta(path: Path, change: dict[str, Any]) -> None:
    """Replace keys of the model file's ``__meta__`` (the arrays stay as they are)."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("__meta__")))
    meta.update(change)
    serialization.save_arrays(path, arrays, meta)


def _hostile_files(folder: Path) -> list[Path]:
    paths = []
    for i, (name, config) in enumerate(HOSTILE_CONFIGS.items()):
        path = folder / f"config-{i}.npz"
        build_model(labels=list("ab")).save(path)
        _rewrite_meta(path, {"config": config if isinstance(config, list) else {**config}})
        paths.append(path)
        assert name
    render = folder / "render.npz"
    build_model(labels=list("ab")).save(render)
    _rewrite_meta(render, {"info": {"render": {"supersample": 100_000}}})
    labels = folder / "labels.npz"
    build_model(labels=list("ab")).save(labels)
    _rewrite_meta(labels, {"labels": [chr(0x4E00 + i) for i in range(20_000)]})
    return [*paths, render, labels]


@pytest.mark.parametrize("name", list(HOSTILE_CONFIGS))
def test_a_hostile_configuration_is_one_model_file_error_naming_the_value(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "m.npz"
    build_model(labels=list("ab")).save(path)
    config = HOSTILE_CONFIGS[name]
    _rewrite_meta(path, {"config": config})
    with pytest.raises(ModelFileError, match="invalid metadata") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_a_100000x_supersampling_or_a_render_size_unlike_the_input_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.npz"
    build_model(labels=list("ab")).save(path)
    _rewrite_meta(path, {"info": {"render": {"supersample": 100_000}}})
    with pytest.raises(ModelFileError, match="supersample"):
        load_model(path)
    _rewrite_meta(path, {"info": {"render": {"size": 32}}})
    with pytest.raises(ModelFileError, match="32px inputs for a 28px network"):
        load_model(path)
    _rewrite_meta(path, {"info": {"render": "big"}})
    with pytest.raises(ModelFileError, match="render"):
        load_model(path)


def test_hostile_model_files_are_refused_within_a_small_memory_limit(tmp_path: Path) -> None:
    """In a process that may use at most ~1.5 GB of address space, each file is refused with
    ModelFileError (today's loader ran out of memory or divided by zero instead)."""
    paths = _hostile_files(tmp_path)
    code = textwrap.dedent(
        f"""
        import resource, sys
        from ocrpad.model import load_model
        from ocrpad.nn import ModelFileError
        limit = 1536 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        for path in {[str(p) for p in paths]!r}:
            try:
                load_model(path)
            except ModelFileError as exc:
                print("refused", exc)
            else:
                print("loaded", path)
        """
    )
    env = {"OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).parent.parent)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert len(lines) == len(paths) and all(line.startswith("refused") for line in lines), lines


def test_an_array_header_claiming_more_data_than_the_file_holds_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.npz"
    build_model(labels=list("ab")).save(path)
    header = {"descr": "<f4", "fortran_order": False, "shape": (100_000, 100_000)}
    buffer = bytearray(b"\x93NUMPY\x01\x00")
    text = repr(header).encode("latin1")
    text += b" " * (-(len(buffer) + 2 + len(text) + 1) % 64) + b"\n"
    buffer += len(text).to_bytes(2, "little") + text + b"\0" * 64
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("huge.npy", bytes(buffer))
    with pytest.raises(ModelFileError, match="claims more data than it holds"):
        load_model(path)


def test_an_archive_larger_than_the_bound_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.npz"
    build_model(labels=list("ab")).save(path)
    monkeypatch.setattr(serialization, "MAX_FILE_BYTES", 100_000)
    with pytest.raises(ModelFileError, match="uncompressed"):
        load_model(path)


def test_deeply_nested_metadata_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    serialization.write_npz_atomically(path, {"__meta__": np.array("[" * 200_000 + "]" * 200_000)})
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(path)


def test_metadata_nested_deeper_than_the_bound_is_refused_and_the_bound_itself_loads(
    tmp_path: Path,
) -> None:
    """500 levels used to load, and then every copy (explanations, fine-tune) hit RecursionError."""
    path = tmp_path / "m.npz"
    model = build_model(labels=list("ab"))
    for levels, loads in ((62, True), (63, False), (500, False)):
        model.meta = {"x": json.loads("[" * levels + "]" * levels)}  # file: top, info, lists
        model.save(path)
        if loads:
            assert load_model(path).copy().meta == model.meta
        else:
            with pytest.raises(ModelFileError, match="more than 64 levels deep"):
                load_model(path)


def _shipped_arrays(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray], dict[str, Any]]:
    path = tmp_path / "m.npz"
    load_model().save(path)  # the shipped model: its reader's context layer included
    arrays, meta = serialization.load_arrays(path)
    return path, arrays, meta


def test_only_the_reader_arrays_its_metadata_describes_load_each_at_its_shape(
    tmp_path: Path,
) -> None:
    """A 400 MB reader.bomb used to load and sit in memory, unused."""
    path, arrays, meta = _shipped_arrays(tmp_path)
    serialization.save_arrays(path, {**arrays, "reader.bomb": np.zeros(1000, np.float32)}, meta)
    with pytest.raises(ModelFileError, match=r"unexpected arrays: reader\.bomb"):
        load_model(path)
    wide = np.zeros((arrays["reader.weights"].shape[0], 99), np.float32)
    serialization.save_arrays(path, {**arrays, "reader.weights": wide}, meta)
    with pytest.raises(ModelFileError, match=r"reader\.weights has shape \(94, 99\), expected"):
        load_model(path)
    older = {k: v for k, v in arrays.items() if not k.startswith("reader.labelled.")}
    serialization.save_arrays(path, older, meta)  # optional arrays may be missing
    assert "reader.labelled.bias" not in load_model(path).extras


def test_a_file_with_thousands_of_stray_arrays_gets_a_short_message(tmp_path: Path) -> None:
    path, arrays, meta = _shipped_arrays(tmp_path)
    stray = {f"junk{i}": np.zeros(1, np.float32) for i in range(2000)}
    serialization.save_arrays(path, {**arrays, **stray}, meta)
    with pytest.raises(ModelFileError, match="junk9 and 1,990 more") as info:
        load_model(path)
    assert len(str(info.value)) < 300 + len(str(path))


def test_the_shipped_architecture_is_well_within_the_bounds(tmp_path: Path) -> None:
    model = load_model()
    path = tmp_path / "copy.npz"
    model.save(path)
    assert load_model(path).labels == model.labels


def test_an_array_header_cut_off_inside_its_brackets_is_a_model_file_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.npz"
    build_model(labels=list("ab")).save(path)
    with zipfile.ZipFile(path) as archive:
        first = next(n for n in archive.namelist() if n != "__meta__.npy")
    with pytest.raises(ModelFileError, match=r"m\.npz: damaged or truncated archive"):
        load_model(replace_member(path, first, CUT_HEADER))


def test_metadata_with_an_integer_longer_than_python_reads_is_a_model_file_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.npz"
    build_model(labels=list("ab")).save(path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    text = str(arrays.pop("__meta__")).replace("{", '{"huge": ' + "9" * 5000 + ", ", 1)
    np.savez(path, **arrays, __meta__=np.array(text))
    with pytest.raises(ModelFileError, match=r"m\.npz: __meta__ is not valid JSON"):
        load_model(path)
