"""ocrpad: draw a character, and a convolutional network written from scratch in NumPy reads it."""

__version__ = "0.1.0"
