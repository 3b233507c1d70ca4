"""Offline for real: the self-test and one recognition, with no network and an empty HOME.

Two runs of the same commands (``--self-test``, then ``--read`` on a picture):

- from source, always: a fresh interpreter in which creating or using a socket fails (an audit
  hook raises on every ``socket.*`` event, below anything ocrpad could import);
- the built bundle, on Linux when ``OCRPAD_BUNDLE`` names its executable (``.ci/build-and-selftest``
  sets it after building): the executable runs in a new network namespace (``unshare -n``, or
  ``unshare -rn`` as an ordinary user) that has only a loopback device, with an empty HOME and
  nothing else in its environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from picture_helpers import picture_of

from ocrpad import resources

ROOT = Path(__file__).resolve().parent.parent
BUNDLE_ENV = "OCRPAD_BUNDLE"

NO_SOCKETS = """
import runpy, socket, sys

def refuse(event, args):
    if event.startswith("socket."):
        raise PermissionError(f"network disabled for this test: {event}")

sys.addaudithook(refuse)
try:
    socket.socket()
except PermissionError:
    print("network: disabled", flush=True)
sys.argv = ["ocrpad", *sys.argv[1:]]
runpy.run_module("ocrpad", run_name="__main__")
"""

needs_shipped_model = pytest.mark.skipif(
    not resources.default_weights_path().is_file(), reason="the shipped model is absent"
)


def _empty_home_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: an empty HOME, no XDG or ocrpad variables, offscreen Qt."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", **extra}
    if sys.platform == "win32":  # Windows needs these to start any program
        for name in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP"):
            if name in os.environ:
                env[name] = os.environ[name]
        env["USERPROFILE"] = env["APPDATA"] = str(home)
    return env


def _check_runs(run: list[str], env: dict[str, str] | None, home: Path, tmp_path: Path) -> None:
    """Run the self-test and one recognition through ``run``; both must pass offline."""
    selftest = subprocess.run(
        [*run, "--self-test"], env=env, capture_output=True, text=True, timeout=600
    )
    assert selftest.returncode == 0, selftest.stdout + selftest.stderr
    assert selftest.stdout.rstrip().endswith("self-test passed")
    assert any(home.rglob("ocrpad")), "the self-test did not use the empty HOME's data folder"
    picture = picture_of("4", tmp_path / "four.png")
    read = subprocess.run(
        [*run, "--read", str(picture)], env=env, capture_output=True, text=True, timeout=600
    )
    assert read.returncode == 0, read.stdout + read.stderr
    assert read.stdout.splitlines()[-1].startswith("4 ")


@needs_shipped_model
def test_from_source_the_self_test_and_a_recognition_need_no_network(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _empty_home_env(home, PYTHONPATH=str(ROOT))
    run = [sys.executable, "-c", NO_SOCKETS]
    probe = subprocess.run([*run, "--version"], env=env, capture_output=True, text=True)
    assert probe.stdout.splitlines()[0] == "network: disabled", probe.stdout + probe.stderr
    _check_runs(run, env, home, tmp_path)


def _network_isolation() -> list[str] | None:
    """A command prefix that runs a program with no network but loopback, or None."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        devices = subprocess.run(
            [*prefix, "cat", "/proc/net/dev"], capture_output=True, text=True, check=False
        )
        names = {line.split(":")[0].strip() for line in devices.stdout.splitlines()[2:]}
        if devices.returncode == 0 and names == {"lo"}:
            return prefix
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="network namespaces: Linux")
def test_the_built_bundle_runs_with_no_network_and_an_empty_home(tmp_path: Path) -> None:
    executable = os.environ.get(BUNDLE_ENV)
    if not executable:
        pytest.skip(f"no built bundle: .ci/build-and-selftest builds one and sets {BUNDLE_ENV}")
    assert Path(executable).is_file(), f"{BUNDLE_ENV}={executable} does not exist"
    isolation = _network_isolation()
    assert isolation is not None, "neither unshare -n nor unshare -rn can make a network namespace"
    home = tmp_path / "home"
    home.mkdir()
    run = [*isolation, "env", "-i", *(f"{k}={v}" for k, v in _empty_home_env(home).items())]
    _check_runs([*run, str(Path(executable).resolve())], None, home, tmp_path)
