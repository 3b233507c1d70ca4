"""``ocrpad --self-test``: prove an installed ocrpad works, without a display.

Up to five checks, each reported on its own line:

1. the model file loads (the shipped default unless ``--weights`` names another);
2. the built-in drawings (``assets/selftest_strokes.json``: stored pen strokes with the label a
   person meant) go through the same ``render_strokes`` pipeline as the canvas, and the model
   reads every one of them as its label;
3. the user data folder can be created and written to;
4. the sample store there (if any) opens and every drawing in it can be read (not checked
   when the folder itself failed: there is no store to speak of);
5. on Linux, Qt's X11 platform plugin is in place (found without importing Qt; a bundle
   without it would open no window on X11, though everything above passes). Windows and
   macOS builds prove theirs by opening the window in CI.

Exit status 0 when all pass; otherwise 1, after naming exactly what failed.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

import numpy as np
from numpy.typing import NDArray

from ocrpad import __version__, resources
from ocrpad.files import check_regular_file

if TYPE_CHECKING:
    from ocrpad.model import Model

DRAWINGS_ASSET: Final = "selftest_strokes.json"


@dataclass(frozen=True)
class Drawing:
    """One built-in drawing: ``strokes`` are (k, 2) float32 x, y points (y down)."""

    name: str
    label: str
    strokes: tuple[NDArray[np.float32], ...]


class SelfTestError(Exception):
    """One failed check; the message says what failed and why."""


def load_drawings(path: Path | None = None) -> list[Drawing]:
    """Read the built-in drawings; raises SelfTestError if the file is missing or malformed."""
    path = path or resources.asset_path(DRAWINGS_ASSET)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        drawings = [_parse_drawing(entry) for entry in document["drawings"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SelfTestError(f"cannot read the built-in drawings {path}: {error}") from error
    if not drawings:
        raise SelfTestError(f"{path} holds no drawings")
    return drawings


def _parse_drawing(entry: dict[str, object]) -> Drawing:
    strokes = entry["strokes"]
    if not isinstance(strokes, list) or not strokes:
        raise ValueError(f"drawing {entry.get('name')!r} has no strokes")
    arrays = tuple(np.asarray(stroke, dtype=np.float32).reshape(-1, 2) for stroke in strokes)
    return Drawing(name=str(entry["name"]), label=str(entry["label"]), strokes=arrays)


def check_model(weights: Path | None) -> Model:
    """Load the model file; returns the model or raises SelfTestError naming the damage."""
    from ocrpad.model import load_model

    where = weights if weights is not None else resources.default_weights_path()
    try:
        return load_model(weights)
    except (OSError, ValueError) as error:
        detail = str(error) if str(where) in str(error) else f"{where}: {error}"
        raise SelfTestError(f"cannot load the model {detail}") from error


def check_drawings(model: Model, drawings: Sequence[Drawing]) -> str:
    """Recognise every drawing through the reader (as the window does, without history);
    raises SelfTestError listing each one the model misreads."""
    from ocrpad.reading import Reader

    try:
        reader = Reader(model)
        readings = [reader.read(d.strokes) for d in drawings]
    except ValueError as error:
        raise SelfTestError(f"cannot recognise the built-in drawings: {error}") from error
    failures: list[str] = []
    for drawing, reading in zip(drawings, readings, strict=True):
        seen, confidence = reading.label, float(reading.probabilities.max())
        if drawing.label not in model.labels:
            failures.append(f"{drawing.name}: the model has no class {drawing.label!r}")
        elif seen != drawing.label:
            failures.append(
                f"{drawing.name}: expected {drawing.label!r}, read {seen!r} ({confidence:.0%})"
            )
    if failures:
        raise SelfTestError(
            f"{len(failures)} of {len(drawings)} built-in drawings misread:"
            + "".join(f"\n       {failure}" for failure in failures)
        )
    return f"recognised all {len(drawings)} built-in drawings"


def check_data_dir(data_dir: Path) -> str:
    """Create the user data folder if needed and write (then remove) a probe file in it."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".selftest-") as probe:
            probe.write(b"ocrpad")
            probe.flush()
    except OSError as error:
        raise SelfTestError(f"the data folder {data_dir} is not writable: {error}") from error
    return f"data folder {data_dir} is writable"


def check_store(data_dir: Path) -> str:
    """Open the user's sample store (if there is one) and read every drawing in it; raises
    SelfTestError for a damaged file or damaged rows (the app starts anyway: it sets a damaged
    file aside and skips damaged rows, keeping them on disk)."""
    from ocrpad.data.samples import SampleStore, StoreBusyError, StoreError, StoreNewerError

    path = data_dir / "samples.sqlite"
    if not path.is_file():
        return f"no sample store yet ({path})"
    try:
        with SampleStore(path, renderer=None) as store:
            damaged = store.damaged_rows()
            count = store.count()
    except (StoreBusyError, StoreNewerError) as error:
        return f"sample store not checked: {error}"
    except StoreError as error:
        raise SelfTestError(f"the sample store is damaged: {error}") from error
    if damaged:
        first = ", ".join(f"#{i} ({why})" for i, why in list(damaged.items())[:3])
        raise SelfTestError(
            f"{len(damaged)} of {count} drawings in {path} are damaged: {first}; ocrpad skips "
            "them and leaves them in the file"
        )
    return f"sample store {path}: all {count} drawings readable"


def check_qt_platform() -> str:
    """Linux: that PySide6's X11 platform plugin is installed (its system libraries are the
    window's start-up check, ``qt_libraries``)."""
    from ocrpad.launch.qt_libraries import xcb_plugin

    plugin = xcb_plugin()
    if plugin is None:
        raise SelfTestError(
            "Qt's X11 platform plugin (PySide6/Qt/plugins/platforms/libqxcb.so) is missing: "
            "the window cannot open on X11"
        )
    return f"Qt's X11 platform plugin is in place ({plugin})"


def run(
    weights: Path | None = None,
    data_dir: Path | None = None,
    out: TextIO | None = None,
    report: Path | None = None,
) -> int:
    """Run every check, print one line each, and return the exit status (0 = all passed).

    ``report``: a file that also receives every line as it is printed (for the windowed
    Windows build, which has no console when double-clicked). A report that cannot be written
    fails the self-test before any check runs: an existing path that is not a regular file (a
    pipe would block until a reader came, a device may swallow or refuse the lines) is refused
    first. A report that fails later (a full disk) fails the self-test with one line on the
    screen; the checks still all run and print there.
    """
    stream = out or sys.stdout
    if report is None:
        return _finish(_run_checks(weights, data_dir, [stream]), [stream])
    try:
        file = _open_report(report)
    except OSError as error:
        print(_report_failure(report, error), file=stream)
        return 1
    sink = _ReportSink(file)
    failed = _run_checks(weights, data_dir, [stream, sink])
    early = sink.error
    if early is not None:  # said before the verdict, so the verdict counts it
        print(_report_failure(report, early), file=stream, flush=True)
        failed += 1
    status = _finish(failed, [stream, sink])
    late = sink.error if early is None else None  # the verdict's own line did not fit
    try:
        file.close()
    except OSError as error:
        late = late or error
    if late is None:
        return status
    print(_report_failure(report, late), file=stream, flush=True)  # the end was not saved
    if status == 0:
        print("self-test FAILED", file=stream, flush=True)
    return 1


def _open_report(report: Path) -> TextIO:
    """Open the report for writing, refusing an existing path that is not a regular file."""
    with contextlib.suppress(FileNotFoundError):  # a new file; open() names a missing folder
        check_regular_file(report)
    return report.open("w", encoding="utf-8")


def _report_failure(report: Path, error: OSError) -> str:
    return _line(False, f"cannot write the report {report}: {error.strerror or error}")


class _ReportSink:
    """The report as a stream that never raises: the first OSError (a full disk, a lost
    network drive) is kept in ``error`` and later lines are dropped, so the checks go on
    printing to the screen and the failure is reported once, at the end."""

    def __init__(self, file: TextIO) -> None:
        self.file = file
        self.error: OSError | None = None

    def write(self, text: str) -> int:
        """Write ``text`` unless an earlier write failed; returns its length either way."""
        if self.error is None:
            try:
                self.file.write(text)
            except OSError as error:
                self.error = error
        return len(text)

    def flush(self) -> None:
        """Flush to the disk now, so a full disk shows at the line that did not fit."""
        if self.error is None:
            try:
                self.file.flush()
            except OSError as error:
                self.error = error


def _run_checks(
    weights: Path | None, data_dir: Path | None, streams: Sequence[TextIO | _ReportSink]
) -> int:
    """Run the checks, printing one line each to every stream; returns how many failed."""

    def say(line: str) -> None:
        _say(line, streams)

    say(f"ocrpad {__version__} self-test")
    failed = 0
    try:
        model = check_model(weights)
        say(_line(True, f"loaded the model {weights or resources.default_weights_path()}"))
        say(_line(True, check_drawings(model, load_drawings())))
    except SelfTestError as error:
        say(_line(False, str(error)))
        failed += 1
    try:
        say(_line(True, check_data_dir(resources.user_data_dir(data_dir))))
        say(_line(True, check_store(resources.user_data_dir(data_dir))))
    except SelfTestError as error:
        say(_line(False, str(error)))
        failed += 1
    if sys.platform.startswith("linux"):
        try:
            say(_line(True, check_qt_platform()))
        except SelfTestError as error:
            say(_line(False, str(error)))
            failed += 1
    return failed


def _finish(failed: int, streams: Sequence[TextIO | _ReportSink]) -> int:
    """Print the verdict; returns the exit status."""
    _say("self-test passed" if not failed else "self-test FAILED", streams)
    return 1 if failed else 0


def _say(line: str, streams: Sequence[TextIO | _ReportSink]) -> None:
    for stream in streams:
        print(line, file=stream, flush=True)


def _line(ok: bool, message: str) -> str:
    return f"{'ok  ' if ok else 'FAIL'} {message}"
