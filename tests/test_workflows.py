"""The GitHub workflows: valid by GitHub's schema (checked offline), and doing what they promise.

A broken workflow should fail here, not on the first version tag. The schema check is
check-jsonschema with the workflow schema it ships; the rest reads the YAML and checks the
promises: the test matrix, the actions pinned by version, the release's platforms and names.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@v\d+\.\d+\.\d+$")


def _load(name: str) -> dict[str, Any]:
    document = YAML(typ="safe").load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = ["-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run(
        [sys.executable, *command, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def _supported_pythons() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    versions = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)
    lowest = re.search(r'requires-python = ">=(3\.\d+)"', text)
    assert versions and lowest
    assert min(versions, key=lambda v: int(v.split(".")[1])) == lowest.group(1)
    return sorted(versions, key=lambda v: int(v.split(".")[1]))


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_both_workflows_pass_githubs_workflow_schema_offline() -> None:
    result = _lint(WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  tests:\n    steps:\n      - run: pytest\n", encoding="utf-8"
    )  # a job without runs-on
    result = _lint(broken)
    assert result.returncode != 0
    assert "runs-on" in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_every_action_is_pinned_to_a_full_version(name: str) -> None:
    uses = [step["uses"] for step in _steps(_load(name)) if "uses" in step]
    assert uses
    unpinned = [action for action in uses if not PINNED.match(action)]
    assert not unpinned, f"{name}: pin these to vX.Y.Z: {unpinned}"


def test_ci_runs_the_suite_on_three_systems_at_the_lowest_and_highest_python() -> None:
    ci = _load("ci.yml")
    assert {"push", "pull_request"} <= set(ci[True] if True in ci else ci["on"])
    matrix = ci["jobs"]["tests"]["strategy"]["matrix"]
    systems = {re.sub(r"-.*", "", os_name) for os_name in matrix["os"]}
    assert systems == {"ubuntu", "windows", "macos"}
    pythons = _supported_pythons()
    assert matrix["python"] == [pythons[0], pythons[-1]]
    runs = [step.get("run", "") for step in ci["jobs"]["tests"]["steps"]]
    assert "python -m pytest" in runs  # the README's test command
    assert any(step.get("run") == ".ci/build-and-selftest" for step in _steps(ci))


def test_release_builds_all_three_platforms_with_exactly_the_ci_script() -> None:
    release = _load("release.yml")
    triggers = release[True] if True in release else release["on"]
    assert triggers["push"]["tags"] == ["v*"]
    bundle = release["jobs"]["bundle"]
    platforms = {entry["platform"] for entry in bundle["strategy"]["matrix"]["include"]}
    assert {"linux-x86_64", "windows-x86_64", "macos-arm64"} <= platforms
    build = [step for step in bundle["steps"] if "build-and-selftest" in step.get("run", "")]
    assert [step["run"] for step in build] == [".ci/build-and-selftest"]
    assert build[0]["shell"] == "bash"  # the same script on Windows (Git Bash)
    upload = next(step for step in bundle["steps"] if "upload-artifact" in step.get("uses", ""))
    assert upload["with"]["path"] == "dist/ocrpad-*-${{ matrix.platform }}.*"
    publish = release["jobs"]["release"]
    assert publish["needs"] == "bundle" and publish["permissions"] == {"contents": "write"}
    assert "gh release create" in publish["steps"][-1]["run"]


def test_the_ci_script_names_the_archives_as_the_release_promises() -> None:
    script = (ROOT / ".ci" / "build-and-selftest").read_text(encoding="utf-8")
    for name in (
        "ocrpad-$version-linux-$arch.tar.gz",
        "ocrpad-$version-windows-$arch.zip",
        "ocrpad-$version-macos-$arch.zip",
    ):
        assert name in script


def test_the_release_notes_are_the_changelog_section_of_the_version() -> None:
    from ocrpad import __version__

    notes = subprocess.run(
        ["bash", str(ROOT / ".ci" / "release-notes"), __version__],
        capture_output=True,
        text=True,
        check=False,
    )
    assert notes.returncode == 0, notes.stderr
    assert notes.stdout.strip() and "\n## " not in notes.stdout
    missing = subprocess.run(
        ["bash", str(ROOT / ".ci" / "release-notes"), "0.0.0-none"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1 and "no section" in missing.stderr


def test_every_ci_script_a_workflow_runs_is_run_by_bash_and_kept_with_lf_endings() -> None:
    """The release job ran the bash release-notes script with python3 (a SyntaxError: no
    release could be published), and a Windows checkout gave the scripts CRLF endings."""
    for name in ("ci.yml", "release.yml"):
        for step in _steps(_load(name)):
            for line in str(step.get("run", "")).splitlines():
                if ".ci/" in line:
                    command = line.split(".ci/")[0].split()
                    assert command in ([], ["bash"]), f"{name}: {line}"
    attributes = (ROOT / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert ".ci/* text eol=lf" in attributes
    for script in (ROOT / ".ci").iterdir():
        assert b"\r\n" not in script.read_bytes(), script.name
