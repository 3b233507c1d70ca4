"""The windowed Windows build has no stdout: simulated here with a stand-in kernel32.

What cannot be simulated on Linux: that Windows really hands a GUI-subsystem process no
streams, and that CONOUT$ is the attached console. The release workflow runs the real thing.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from ocrpad.launch import console, selftest


class FakeKernel32:
    """Records AttachConsole calls; ``parent`` says whether a parent console exists."""

    def __init__(self, parent: bool) -> None:
        self.parent = parent
        self.calls: list[int] = []

    def AttachConsole(self, process_id: int, /) -> int:  # noqa: N802  (the Win32 name)
        self.calls.append(process_id)
        return 1 if self.parent else 0


def _windowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start the way Windows starts a windowed program: no stdout, no stderr. (Called inside
    each test: pytest installs its own capturing streams after the fixtures have run.)"""
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)


def test_started_from_a_console_the_output_goes_to_that_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _windowed(monkeypatch)
    kernel32, screen = FakeKernel32(parent=True), tmp_path / "console.txt"
    assert console.attach_parent_console(kernel32, screen)
    assert kernel32.calls == [console.ATTACH_PARENT_PROCESS]
    print("hello")
    print("trouble", file=sys.stderr)
    assert sys.stdout is not None and sys.stderr is sys.stdout
    sys.stdout.close()  # the process-long stream, closed here to end the test cleanly
    assert screen.read_text(encoding="utf-8") == "hello\ntrouble\n"


def test_double_clicked_there_is_no_console_and_the_self_test_still_reports_to_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _windowed(monkeypatch)
    kernel32 = FakeKernel32(parent=False)
    assert not console.attach_parent_console(kernel32, tmp_path / "console.txt")
    assert sys.stdout is None
    report = tmp_path / "report.txt"
    status = selftest.run(weights=tmp_path / "absent.npz", data_dir=tmp_path, report=report)
    assert status == 1  # the exit status comes back although nothing could be printed
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("ocrpad ") and lines[-1] == "self-test FAILED"
    assert any("absent.npz" in line for line in lines)


def test_with_output_already_there_nothing_is_attached(tmp_path: Path) -> None:
    kernel32 = FakeKernel32(parent=True)
    assert not console.attach_parent_console(kernel32, tmp_path / "console.txt")
    assert kernel32.calls == []


@pytest.mark.skipif(sys.platform == "win32", reason="off Windows only")
def test_off_windows_without_a_kernel32_nothing_is_attached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _windowed(monkeypatch)
    assert not console.attach_parent_console()
    assert sys.stdout is None


def test_the_report_gets_the_same_lines_as_the_screen(tmp_path: Path) -> None:
    screen, report = io.StringIO(), tmp_path / "report.txt"
    selftest.run(weights=tmp_path / "absent.npz", data_dir=tmp_path, out=screen, report=report)
    assert report.read_text(encoding="utf-8") == screen.getvalue()


def test_an_unwritable_report_fails_the_self_test_before_it_runs(tmp_path: Path) -> None:
    screen = io.StringIO()
    status = selftest.run(out=screen, report=tmp_path / "no" / "such" / "folder" / "r.txt")
    assert status == 1
    assert screen.getvalue().startswith("FAIL cannot write the report")


def test_a_process_without_streams_returns_the_self_test_status_and_writes_the_report(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.txt"
    code = (
        "import sys; sys.stdout = sys.stderr = None\n"
        "from ocrpad.__main__ import main\n"
        f"sys.exit(main(['--self-test', '--report', {str(report)!r}, "
        f"'--weights', {str(tmp_path / 'absent.npz')!r}, '--data-dir', {str(tmp_path)!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout == result.stderr == ""
    assert report.read_text(encoding="utf-8").splitlines()[-1] == "self-test FAILED"


def test_report_without_self_test_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from ocrpad.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--report", "r.txt"])
    assert exit_info.value.code == 2
    assert "--report goes with --self-test" in capsys.readouterr().err
