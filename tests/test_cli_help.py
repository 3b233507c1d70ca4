"""Every command's --help: plain text, every option explained, defaults and --arch spelled out;
ocrpad's actions refuse an option they do not know."""

from __future__ import annotations

import argparse
import re

import pytest

from ocrpad.cli import bench, fit_reader, train
from ocrpad.cli import eval as eval_cli
from ocrpad.learning.recipe import ARCHITECTURES


def _help(parser: argparse.ArgumentParser) -> str:
    return parser.format_help()


@pytest.mark.parametrize("command", ["eval", "train", "bench", "fit-reader"])
def test_help_has_no_markup_and_every_option_has_a_help_text(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    module = {"eval": eval_cli, "train": train, "bench": bench, "fit-reader": fit_reader}[command]
    with pytest.raises(SystemExit) as exit_:
        module.main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "`" not in text
    options = text.split("options:\n", 1)[1].split("\n\n", 1)[0]
    for entry in re.split(r"\n(?=  -)", options):  # one option: its flags, then its help
        first, _, more = entry.partition("\n")
        assert len(first.strip().split("  ", 1)) == 2 or more.strip(), entry


def test_options_with_defaults_show_them() -> None:
    eval_help = _help(eval_cli.build_parser())
    assert "(default: 512)" in eval_help and "(default: 10)" in eval_help
    seed = re.search(r"--seed SEED +seed of the session histories \(default: 0\)", eval_help)
    assert seed is not None, eval_help  # a default of 0 is shown too
    reader_help = _help(fit_reader.build_parser())
    assert re.search(r"--seed N +seed of histories and batches \(default: 0\)", reader_help)
    assert "unipen-symbols \\\n        --weights" in reader_help  # the example, as written
    train_help = _help(train.build_parser())
    for fragment in ("(default: 14)", "(default: 128)", "(default: 0.1)", "(default: 0)"):
        assert fragment in train_help


def test_every_architecture_choice_is_described() -> None:
    text = _help(train.build_parser())
    for name, config in ARCHITECTURES.items():
        channels = "-".join(str(b.channels) for b in config.blocks)
        assert f"{name}: {len(config.blocks)} conv layers ({channels} channels" in text


@pytest.mark.parametrize(
    ("action", "module"),
    [
        (["--self-test"], "selftest"),
        (["--self-test", "--report", "r.txt"], "selftest"),
        (["--read", "one.png"], "read_picture"),
        (["--install-desktop-entry"], "desktop_entry"),
        (["--uninstall-desktop-entry"], "desktop_entry"),
    ],
)
def test_an_action_refuses_a_mistyped_option_instead_of_running_without_it(
    action: list[str],
    module: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import importlib

    from ocrpad import __main__ as entry

    ran: list[object] = []
    monkeypatch.setattr(
        importlib.import_module(f"ocrpad.launch.{module}"), "run", lambda *a, **k: ran.append(a)
    )
    with pytest.raises(SystemExit) as exit_:
        entry.main([*action, "--weigths", "other.npz"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --weigths" in capsys.readouterr().err
    assert ran == []  # nothing was tested, read or installed with the default model
