"""Where ocrpad's files live: the one module that knows the source and the frozen layouts.

Source checkout (and editable installs): the repository root holds ``assets/`` and ``weights/``
beside the ``ocrpad`` package. PyInstaller bundle: ``build.spec`` copies both folders to the same
relative paths under the bundle's data folder, which the bootloader publishes as
``sys._MEIPASS``. Nothing else in ocrpad touches ``sys._MEIPASS``. A wheel (``pip install .``,
not editable) carries the files the app reads as data files, installed under
``<prefix>/share/ocrpad/`` in the same two folders (``pyproject.toml``, data-files).

User data (samples, fine-tuned models) never goes into either folder: it lives in the platform
data folder, :func:`user_data_dir` (the platform's per-user application data folder plus
``ocrpad``), found without importing Qt so that the self-test runs without it.
"""

from __future__ import annotations

import os
import site
import sys
from pathlib import Path
from typing import Final

APP_NAME: Final = "ocrpad"
ASSETS_FOLDER: Final = "assets"
WEIGHTS_FOLDER: Final = "weights"
DEFAULT_WEIGHTS_NAME: Final = "ocrpad-default.npz"
ICON_NAME: Final = "ocrpad.png"
DATA_DIR_ENV: Final = "OCRPAD_DATA_DIR"
"""Environment variable that overrides the user data folder (tests, portable installs)."""


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def base_dir() -> Path:
    """The folder that holds ``assets/`` and ``weights/``: the bundle's data folder, the
    repository root, or for a wheel the ``share/ocrpad`` folder of its install scheme."""
    if is_frozen():
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]  # set by PyInstaller
    source = Path(__file__).resolve().parent.parent
    if (source / WEIGHTS_FOLDER).is_dir():
        return source
    for prefix in _install_prefixes():
        if (shared := prefix / "share" / APP_NAME / WEIGHTS_FOLDER).is_dir():
            return shared.parent
    return source  # missing files are named at the repository's paths


def _install_prefixes() -> list[Path]:
    """Where an installed wheel's data files may be: its environment's prefix, or the user's
    (``pip install --user``), or the folder above site-packages (``pip install --target``)."""
    package = Path(__file__).resolve().parent
    return [Path(sys.prefix), Path(site.getuserbase()), package.parent]


def assets_dir() -> Path:
    """The read-only folder of icons, the desktop file and the self-test drawings."""
    return base_dir() / ASSETS_FOLDER


def weights_dir() -> Path:
    """The read-only folder of shipped model files."""
    return base_dir() / WEIGHTS_FOLDER


def asset_path(name: str) -> Path:
    """The path of one asset, e.g. ``asset_path("ocrpad.png")``; it need not exist."""
    relative = Path(name)
    if relative.anchor or ".." in relative.parts:
        raise ValueError(f"asset name must be a path inside {ASSETS_FOLDER}/, got {name!r}")
    return assets_dir() / relative


def default_weights_path() -> Path:
    """The shipped model file, ``weights/ocrpad-default.npz``."""
    return weights_dir() / DEFAULT_WEIGHTS_NAME


def icon_path() -> Path:
    """The application icon (PNG; ``.ico`` and ``.icns`` sit beside it for the packagers)."""
    return asset_path(ICON_NAME)


def user_data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The per-user folder for samples and fine-tuned models; it is not created here.

    Order: ``override`` if given, else ``$OCRPAD_DATA_DIR``, else the platform data folder —
    ``%APPDATA%\\ocrpad`` on Windows, ``~/Library/Application Support/ocrpad`` on macOS,
    ``$XDG_DATA_HOME/ocrpad`` (default ``~/.local/share/ocrpad``) elsewhere.
    """
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return _platform_data_home() / APP_NAME


def _platform_data_home() -> Path:
    """The platform's per-user application data root."""
    home = Path.home()
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        return Path(appdata) if appdata else home / "AppData" / "Roaming"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support"
    return xdg_data_home()


def xdg_data_home() -> Path:
    """``$XDG_DATA_HOME`` when it is an absolute path (the XDG rule), else ``~/.local/share``:
    where Linux desktops look for the user's own menu entries and icons."""
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg)
    return Path.home() / ".local" / "share"
