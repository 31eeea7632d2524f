"""`GeneralizationWatch`: overfitting (train/val gap) and underfitting.

Example:

>>> from callbacks import GeneralizationWatch
>>> watch = GeneralizationWatch(verbose=0)
>>> watch.on_train_begin()
>>> for epoch in range(4):
...     watch.on_epoch_end(epoch, {"loss": 0.1, "accuracy": 1.0,
...                                "val_loss": 2.0, "val_accuracy": 0.6})
>>> watch.findings[0].check
'overfitting'
"""

from __future__ import annotations

import math

from callbacks._base import MonitorBase, check_positive
from callbacks._logs import accuracy_key, heavy_dropout
from callbacks._probe import fit_arguments, sample_count
from callbacks.heads import chance_accuracy


class GeneralizationWatch(MonitorBase):
    """Compares training and validation figures, as the lecture says.

    - `overfitting` (warning): training accuracy exceeds validation accuracy
      by more than `max_gap` (and by more than two standard errors of the
      validation accuracy, when the validation size is known) for three
      epochs in a row while the validation accuracy (clearly above chance) has
      gained under a point in three epochs and the validation loss has
      stopped falling; without an accuracy metric, the validation loss has
      climbed for three epochs to 1.2x or more of its best while the
      training loss kept falling (a one-epoch spike, or a jump of 10x, is
      instability, not overfitting). Fix: more regularization or data.
    - `underfitting` (warning, at the end of a run of 3+ epochs): the
      training accuracy has stopped improving (< 2 points over the last two
      epochs) below the halfway point between chance and 100 %, with no gap
      to validation: the model has room for more capacity.

    Writes `generalization_gap` (train minus validation accuracy, or
    validation minus training loss) to `logs`, NaN on the epochs `fit` does
    not validate (`validation_freq`). Needs validation data in `fit`.

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
        self._validates = False

    def on_train_begin(self, logs=None):
        self.reset()
        _, _, val_x, _ = fit_arguments(self.model) if self.model else (None,) * 4
        self._validates = val_x is not None
        try:
            self._n_val = sample_count(val_x) if val_x is not None else None
        except (AttributeError, TypeError, IndexError, StopIteration):
            self._n_val = None

    def _gap_threshold(self, val):
        # The validation accuracy of a small split is noisy: the gap must be
        # above max_gap and above two standard errors of it.
        if not self._n_val:
            return self.max_gap
        se = math.sqrt(max(val * (1 - val), 0.0) / self._n_val)
        return max(self.max_gap, 2.0 * se)

    def _since_best(self, values, higher=True, tol=0.0):
        """Epochs since the best of `values` (a new best must beat it by tol)."""
        best, at = values[0], 0
        for i, v in enumerate(values[1:], 1):
            if (v > best + tol) if higher else (v < best - tol):
                best, at = v, i
        return len(values) - 1 - at, best

    def _loss_rising(self):
        """`(ratio, best)` when the validation loss has risen for 3+ epochs
        from a best 3+ epochs back (a climb, not a one-epoch spike, and under
        10x: a larger jump is instability), else None."""
        vals = [h[1] for h in self.history]
        if len(vals) < 4:
            return None
        since, best = self._since_best(vals, higher=False)
        if best <= 0 or since < 3:
            return None
        last = vals[-3:]
        ratio = vals[-1] / best
        if min(last) >= 1.1 * best and ratio >= 1.2 and max(last) < 10 * best:
            return ratio, best
        return None

    def _acc_overfit(self):
        """`(gap, limit)` when training accuracy stays well above a validation
        accuracy that has stopped improving (and is above chance), else None."""
        if len(self.history) < 3 or self.history[-1][2] is None:
            return None
        train, val = self.history[-1][2], self.history[-1][3]
        chance = chance_accuracy(self.model) if self.model is not None else None
        if chance is not None and val < chance + 0.1 * (1 - chance):
            # at chance on validation, nothing generalizes (labels apart from
            # their inputs, lagging BatchNorm statistics): not overfitting
            return None
        limit = self._gap_threshold(val)
        gaps = [h[2] - h[3] for h in self.history[-3:]]
        vals = [h[3] for h in self.history]
        # stopped improving: the last 3 epochs gained under a point on the
        # best before them (a noisy new best by a hair does not count)
        stopped = len(vals) >= 4 and max(vals[-3:]) < max(vals[:-3]) + 0.01
        if min(gaps) > limit and stopped and not self._val_loss_improving():
            return train - val, limit
        return None

    def _val_loss_improving(self):
        """True when the validation loss reached a new best (by 1 %) in the
        last 3 epochs: a gap while it still falls is generalization at work,
        not overfitting yet."""
        losses = [h[1] for h in self.history]
        if len(losses) < 4:
            return True
        return min(losses[-3:]) < 0.99 * min(losses[:-3])

    def still_overfitting(self):
        """True when the run's last epochs still show overfitting: the rules
        above, or a validation loss that ends 10 % or more above a best at
        least 3 epochs old (a noisy new accuracy best does not end it)."""
        accuracy = self.history and self.history[-1][2] is not None
        if self._acc_overfit() or (not accuracy and self._loss_rising()):
            return True
        losses = [h[1] for h in self.history]
        since, best = self._since_best(losses, higher=False)
        return len(losses) >= 4 and since >= 3 and losses[-1] >= 1.1 * best

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        self._last_epoch = epoch
        if "val_loss" not in logs or "loss" not in logs:
            if self._validates or self.history:  # `validation_freq` > 1
                logs["generalization_gap"] = float("nan")
            return
        loss, val_loss = float(logs["loss"]), float(logs["val_loss"])
        key = accuracy_key(logs)
        if key is not None and f"val_{key}" in logs:
            train, val = float(logs[key]), float(logs[f"val_{key}"])
            self.history.append((loss, val_loss, train, val))
            logs["generalization_gap"] = train - val
        else:
            self.history.append((loss, val_loss, None, None))
            logs["generalization_gap"] = val_loss - loss
        acc = self._acc_overfit()
        rising = self._loss_rising()
        key = key if self.history[-1][2] is not None else None
        if acc is not None:
            gap, limit = acc
            train, val = self.history[-1][2], self.history[-1][3]
            why = (
                f"training accuracy {train:.1%} vs validation {val:.1%}, which "
                "has not improved for 3 epochs"
            )
            self._overfit(epoch, gap, why, limit)
        elif rising is not None and key is None and self._train_falling():
            # without an accuracy metric, the loss is the only figure; with
            # one, a confident net's validation loss creeps up while its
            # accuracy holds, which is not overfitting
            ratio, best = rising
            why = (
                f"validation loss {self.history[-1][1]:.3g}, {ratio:.1f}x its "
                f"best {best:.3g}, has risen for 3 epochs while the training "
                "loss falls"
            )
            self._overfit(epoch, ratio, why, 1.2)

    def _train_falling(self):
        losses = [h[0] for h in self.history[-4:]]
        return losses[-1] < losses[0]

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
                suggestion=self._underfit_fix(),
            )

    def _underfit_fix(self):
        heavy = heavy_dropout(self.model)
        if heavy:
            return heavy + " Then train longer or use a larger model."
        return (
            "Train longer, raise the learning rate, use a larger model (more "
            "units or layers), or reduce regularization."
        )
