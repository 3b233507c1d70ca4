"""Learning, in one home and without Qt: training from scratch, fine-tuning, evaluation.

- ``fit`` (``fit.py``) trains a network from scratch on stroke data: ``recipe.py`` holds the
  recipe, ``batches.py`` renders augmented batches, ``loop.py`` runs an epoch, and
  ``checkpoint.py`` writes resumable checkpoints. ``ocrpad-train`` is its command.
- ``fine_tune`` (``finetune.py``) adapts a copy of a model to a person's own drawings:
  ``finetune_data.py`` prepares their drawings, ``rehearsal.py`` mixes in the shipped
  rehearsal set so nothing is forgotten, ``finetune_report.py`` holds the progress and report
  records the Train tab shows, and ``cancel.py`` lets Cancel stop it between drawings.
- ``evaluate.py`` scores predictions (accuracy, balanced, merged, per group and per class);
  ``ocrpad-eval`` is its command.

Modules here may import the engine (``ocrpad.nn``), ``ocrpad.model``, ``ocrpad.preprocess`` and
``ocrpad.data``; never Qt, the app or the developer tools.
"""

from ocrpad.learning.finetune import FineTuneSettings, fine_tune
from ocrpad.learning.fit import FitResult, fit
from ocrpad.learning.recipe import Recipe

__all__ = ["FineTuneSettings", "FitResult", "Recipe", "fine_tune", "fit"]
