"""`GeneralizationWatch`: overfitting (train/val gap) and underfitting.

Example:

>>> from callbacks import GeneralizationWatch
>>> watch = GeneralizationWatch(verbose=0)
>>> watch.on_train_begin()
>>> for epoch in range(3):
...     watch.on_epoch_end(epoch, {"loss": 0.1, "accuracy": 1.0,
...                                "val_loss": 2.0, "val_accuracy": 0.6})
>>> watch.findings[0].check
'overfitting'
"""

from __future__ import annotations

import math

from callbacks._base import MonitorBase, check_positive
from callbacks._logs import accuracy_key, chance_accuracy
from callbacks._probe import _length, fit_arguments


class GeneralizationWatch(MonitorBase):
    """Compares training and validation figures, as the lecture says.

    - `overfitting` (warning): training accuracy exceeds validation accuracy
      by more than `max_gap` (plus two standard errors of the validation
      accuracy, when the validation size is known) for three epochs in a row,
      and the validation accuracy is not still reaching new bests;
      without an accuracy metric, the validation
      loss has risen 20 % above its best for two epochs while the training
      loss kept falling. Fix: more regularization or data.
    - `underfitting` (warning, at the end of a run of 3+ epochs): the
      training accuracy has stopped improving (< 2 points over the last two
      epochs) below the halfway point between chance and 100 %, with no gap
      to validation: the model has room for more capacity.

    Writes `generalization_gap` (train minus validation accuracy, or
    validation minus training loss) to `logs`. Needs validation data in `fit`.

    Args:
        max_gap: Accuracy gap that counts as overfitting. Defaults to `0.1`.
        verbose: 0, 1 or 2. Defaults to `1`.
        stop_on: `None`, `"error"` or `"warning"`. Defaults to `None`.

    Raises:
        ValueError: If `max_gap` is not in (0, 1).
    """

    def __init__(self, max_gap=0.1, verbose=1, stop_on=None):
        super().__init__(verbose=verbose, stop_on=stop_on)
        check_positive("max_gap", max_gap, below=1, what="an accuracy difference")
        self.max_gap = max_gap

    def get_config(self):
        config = super().get_config()
        config.update(max_gap=self.max_gap)
        return config

    def reset(self):
        super().reset()
        self.history = []
        self._n_val = None
        self._last_epoch = None

    def on_train_begin(self, logs=None):
        self.reset()
        _, _, val_x, _ = fit_arguments(self.model) if self.model else (None,) * 4
        try:
            self._n_val = _length(val_x) if val_x is not None else None
        except (AttributeError, TypeError, IndexError, StopIteration):
            self._n_val = None

    def _gap_threshold(self, val):
        # The validation accuracy of a small split is noisy: only a gap beyond
        # max_gap plus two standard errors of it counts.
        if not self._n_val:
            return self.max_gap
        return self.max_gap + 2.0 * math.sqrt(max(val * (1 - val), 0.0) / self._n_val)

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        self._last_epoch = epoch
        if "val_loss" not in logs or "loss" not in logs:
            return
        key = accuracy_key(logs)
        if key is not None and f"val_{key}" in logs:
            train, val = float(logs[key]), float(logs[f"val_{key}"])
            gap = train - val
            self.history.append(
                (float(logs["loss"]), float(logs["val_loss"]), train, val)
            )
            logs["generalization_gap"] = gap
            gaps = [h[2] - h[3] for h in self.history[-3:]]
            limit = self._gap_threshold(val)
            # Validation accuracy still reaching new bests is not overfitting
            # (e.g. BatchNormalization's moving statistics catching up early on).
            vals = [h[3] for h in self.history]
            improving = len(vals) > 1 and vals[-1] > max(vals[:-1])
            if len(gaps) == 3 and min(gaps) > limit and not improving:
                self._overfit(
                    epoch,
                    gap,
                    f"training accuracy {train:.1%} vs validation {val:.1%}",
                    limit,
                )
            return
        loss, val_loss = float(logs["loss"]), float(logs["val_loss"])
        self.history.append((loss, val_loss, None, None))
        logs["generalization_gap"] = val_loss - loss
        if len(self.history) < 3:
            return
        best = min(h[1] for h in self.history[:-2])
        (l1, v1, _, _), (l2, v2, _, _) = self.history[-2:]
        prev = self.history[-3][0]
        if v1 > 1.2 * best and v2 > 1.2 * best and l2 < l1 < prev:
            self._overfit(
                epoch,
                v2 / best,
                f"validation loss {v2:.3g} vs its "
                f"best {best:.3g} while the training loss falls",
                1.2,
            )

    def _overfit(self, epoch, value, why, threshold):
        self.find(
            "overfitting",
            epoch,
            "warning",
            value=value,
            threshold=threshold,
            message=f"The model fits the training data much better than the "
            f"validation data ({why}).",
            suggestion="Add regularization (l2 weight decay, Dropout), get more "
            "training data or augment it, use a smaller model, or stop earlier "
            "(EarlyStopping on val_loss).",
        )

    def on_train_end(self, logs=None):
        if len(self.history) < 3 or self.history[-1][2] is None:
            return
        if self.history[-1][2] - self.history[-3][2] >= 0.02:
            return  # still improving: it needs more epochs, not more capacity
        chance = chance_accuracy(self.model) if self.model is not None else None
        _, _, train, val = self.history[-1]
        bar = 0.5 * (1.0 + (chance or 0.0))
        if train < bar and abs(train - val) <= self.max_gap / 2:
            self.find(
                "underfitting",
                self._last_epoch,
                "warning",
                value=train,
                threshold=bar,
                message=f"Training accuracy is only {train:.1%} (validation "
                f"{val:.1%}): the model does not even fit the training data.",
                suggestion="Train longer, raise the learning rate, use a larger "
                "model (more units or layers), or reduce regularization.",
            )
