"""Stopping long work part-way: a ``CancelFn`` is asked between small pieces of it (a drawing
rendered, a batch scored) and ``stop_if`` raises ``Cancelled`` when it says yes. ``fine_tune``
turns that into its cancelled report, so Cancel and closing the window take effect within a
fraction of a second even while thousands of drawings are being prepared."""

from __future__ import annotations

from collections.abc import Callable

CancelFn = Callable[[], bool]
CountFn = Callable[[int, int], None]
"""Told how far long work has come: (pieces done, all of them), e.g. drawings prepared."""


class Cancelled(Exception):  # noqa: N818  (a request to stop, not an error)
    """The caller's cancel function asked to stop."""


def stop_if(cancel: CancelFn | None) -> None:
    """Raise ``Cancelled`` if ``cancel`` (when given) says to stop."""
    if cancel is not None and cancel():
        raise Cancelled
