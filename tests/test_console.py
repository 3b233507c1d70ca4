"""The windowed Windows build has no stdout: simulated here with a stand-in kernel32.

What cannot be simulated on Linux: that Windows really hands a GUI-subsystem process no
streams, and that CONOUT$ is the attached console. The release workflow runs the real thing.
"""

from __future__ import annotations

import errno
import io
import os
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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_as_the_report_is_refused_before_any_check_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ocrpad.__main__ import main

    pipe = tmp_path / "report"
    os.mkfifo(pipe)
    # a reader on the other end, so that code which opened the pipe would not block forever
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        status = main(["--self-test", "--report", str(pipe), "--data-dir", str(tmp_path)])
    finally:
        os.close(reader)
    out = capsys.readouterr().out
    assert status == 1
    assert out == f"FAIL cannot write the report {pipe}: a pipe, not a regular file\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_device_as_the_report_gives_one_clear_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ocrpad.__main__ import main

    status = main(["--self-test", "--report", "/dev/full", "--data-dir", str(tmp_path)])
    assert status == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL cannot write the report /dev/full: ")
    assert len(out.splitlines()) == 1


class FullDisk(io.StringIO):
    """A report file on a disk that fills up after ``room`` characters, or fails at close."""

    def __init__(self, room: int, fail_on_close: bool = False) -> None:
        super().__init__()
        self.room, self.fail_on_close = room, fail_on_close

    def write(self, text: str) -> int:
        if self.tell() + len(text) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(text)

    def close(self) -> None:
        if self.fail_on_close:
            raise OSError(errno.EIO, "Input/output error")
        super().close()


def test_a_report_that_fills_the_disk_fails_the_self_test_in_one_line_after_every_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "report.txt"
    monkeypatch.setattr(Path, "open", lambda *args, **kwargs: FullDisk(room=40))
    screen = io.StringIO()
    status = selftest.run(
        weights=tmp_path / "absent.npz", data_dir=tmp_path, out=screen, report=report
    )
    lines = screen.getvalue().splitlines()
    assert status == 1
    assert lines[-2] == f"FAIL cannot write the report {report}: No space left on device"
    assert lines[-1] == "self-test FAILED"
    assert [line for line in lines if "cannot write the report" in line] == [lines[-2]]
    assert any("data folder" in line for line in lines)  # the checks all ran and were shown


@pytest.mark.parametrize(
    ("checks_failed", "report", "reason"),
    [
        (0, FullDisk(10**6, fail_on_close=True), "Input/output error"),
        (0, FullDisk(room=0), "No space left on device"),  # the verdict's line does not fit
        (1, FullDisk(room=0), "No space left on device"),
    ],
)
def test_a_report_whose_end_cannot_be_saved_fails_the_self_test(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    checks_failed: int,
    report: FullDisk,
    reason: str,
) -> None:
    path = tmp_path / "report.txt"
    monkeypatch.setattr(Path, "open", lambda *args, **kwargs: report)
    monkeypatch.setattr(selftest, "_run_checks", lambda *args: checks_failed)
    screen = io.StringIO()
    status = selftest.run(out=screen, report=path)
    assert status == 1
    assert screen.getvalue().splitlines() == [
        "self-test passed" if not checks_failed else "self-test FAILED",
        f"FAIL cannot write the report {path}: {reason}",
        *(["self-test FAILED"] if not checks_failed else []),
    ]


def test_a_folder_name_the_output_cannot_encode_is_escaped_not_a_crash(tmp_path: Path) -> None:
    data = tmp_path / "Δεδομένα"  # Greek, on a Latin-1 terminal
    report = tmp_path / "report.txt"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ocrpad",
            "--self-test",
            "--data-dir",
            str(data),
            "--report",
            str(report),
        ],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "latin-1"},
    )
    assert result.returncode == 0, result.stderr.decode("latin-1")
    assert b"\\u0394\\u03b5" in result.stdout  # escaped on the screen
    assert result.stdout.decode("latin-1").splitlines()[-1] == "self-test passed"
    assert str(data) in report.read_text(encoding="utf-8")  # the report file keeps the name
