"""The trace network opened in the window: its dialog, unit grids, path picture and wiring."""
