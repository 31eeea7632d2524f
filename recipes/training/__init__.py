"""The one training step of the recipe, on its own floor (below `search`,
whose trials use it, and `run` and `repair`).

`train_babysat` fits a model with the `Babysitter` (optionally stopping at
its first error), early stopping, the learning rate annealed on a plateau
and a checkpoint, and returns a `TrainedRun`. The code is in `step`.

>>> from recipes.training import train_babysat
>>> callable(train_babysat)
True
"""

from recipes.training.step import (
    EpochLog,
    StopOnError,
    TrainedRun,
    expected_traces,
    stopping_callbacks,
    train_babysat,
)

__all__ = [
    "EpochLog",
    "StopOnError",
    "TrainedRun",
    "expected_traces",
    "stopping_callbacks",
    "train_babysat",
]
