"""Reading: strokes + the writer's earlier drawings + a character set → a calibrated answer.

No Qt. `Reader(model, charset=None).read(strokes, history=())` is the one road from a drawing
to an answer; see `reader.py` for the flow and `context.py` for what history adds.
"""

from ocrpad.reading.answers import Labelled, Reading
from ocrpad.reading.context import HISTORY_CAP, ContextLayer
from ocrpad.reading.families import FAMILIES, look_alikes
from ocrpad.reading.geometry import WritingGuides
from ocrpad.reading.reader import Reader, context_of

__all__ = [
    "FAMILIES",
    "HISTORY_CAP",
    "ContextLayer",
    "Labelled",
    "Reader",
    "Reading",
    "WritingGuides",
    "context_of",
    "look_alikes",
]
