"""ocrpad: draw a character, and a convolutional network written from scratch in NumPy reads it."""

from ocrpad.version import current_version

__version__ = current_version()
"""The running ocrpad's version; its one source is pyproject.toml (see ``ocrpad.version``)."""
