"""The outcome metric of a run and the noise it is judged against (private).

The metric comes from the labels, not from the model, so every run of one
repair is scored the same way whatever a fix changed: validation accuracy
(argmax; a 0.5 threshold for one unit; per label for multi-hot targets), R²
for regression, the validation loss when the task cannot be told.

The noise: a candidate is better only when it beats the reference run by
more than twice `noise(reference, candidate)`, the root of the sum of two
variances measured on the runs themselves, at no extra training:

- the paired bootstrap variance of the metric's difference over the
  validation rows (both runs scored on the same resampled rows, 400
  times): how much of a difference the finite validation set alone makes;
- the scatter of the reference's per-epoch metric about its straight-line
  trend over its last five epochs (residual variance): how much it moves
  from one epoch to the next with the same seed, the optimization noise a
  different run would land in. The trend is taken off, so a curve still
  rising is not counted as noise.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

RESAMPLES = 400
LAST_EPOCHS = 5
_PROBE = 2048  # most validation rows scored at each epoch


def infer_task(y, loss_kind, units):
    """`"classification"`, `"binary"`, `"multilabel"`, `"regression"` or
    `"unknown"`, from the labels, the loss's kind and the output width."""
    y = np.asarray(y)
    if units is None or not np.issubdtype(y.dtype, np.number) and y.dtype != bool:
        return "unknown"
    y = y.astype("float64")
    if y.ndim == 2 and y.shape[1] > 1:
        if not np.isin(y, (0.0, 1.0)).all():
            return "regression"
        return "multilabel" if (y.sum(1) > 1).any() else "classification"
    y = y.reshape(-1)
    if not np.all(np.mod(y, 1) == 0):
        return "regression"
    values = np.unique(y)
    if units == 1:
        binary = np.isin(values, (0.0, 1.0)).all()
        # two values under a binary cross-entropy: a two-class task whose
        # labels are encoded wrongly (-1/1, 1/2), not a regression
        two = len(values) == 2 and loss_kind == "binary"
        return "binary" if binary or two else "regression"
    if loss_kind == "regression" and len(values) > units + 1:
        return "regression"
    return "classification"


@dataclasses.dataclass(frozen=True, eq=False)
class Outcome:
    """A run's scored validation predictions.

    Attributes:
        task: How it is scored (see `infer_task`).
        value: The metric (higher is better, but for `"loss"`).
        name: `"val_accuracy"`, `"val_r2"` or `"val_loss"`.
        rows: Per-row scores (accuracy) or `(y_true, y_pred)` (R²), for the
            bootstrap; `None` for the loss.
    """

    task: str
    value: float
    name: str
    rows: object = None

    @property
    def higher(self):
        """The metric, signed so that higher is better."""
        return -self.value if self.name == "val_loss" else self.value


def predict(model, x):
    """`model(x)` in slices, as numpy (no `predict`: no retracing per run)."""
    out = [
        keras.ops.convert_to_numpy(model(x[i : i + 1024], training=False))
        for i in range(0, len(x), 1024)
    ]
    return np.concatenate(out).astype("float64")


def score(task, y_true, out, *, logits=False, loss=None):
    """The `Outcome` of predictions `out` for labels `y_true`."""
    if task == "unknown":
        return Outcome(task, float(loss), "val_loss")
    out = np.nan_to_num(out.reshape(len(out), -1), nan=0.0, posinf=1e30, neginf=-1e30)
    y = np.asarray(y_true, dtype="float64")
    if task == "regression":
        y = y.reshape(len(y), -1)
        return Outcome(task, _r2(y, out), "val_r2", (y, out))
    threshold = 0.0 if logits else 0.5
    if task == "multilabel":
        rows = ((out > threshold) == (y > 0.5)).mean(axis=1)
    elif task == "binary" and out.shape[1] == 1:
        rows = ((out[:, 0] > threshold) == (y.reshape(-1) > 0.5)).astype(float)
    else:
        truth = y.argmax(1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)
        rows = (out.argmax(1) == truth).astype(float)
    return Outcome(task, float(rows.mean()), "val_accuracy", rows)


def _r2(y, out):
    resid = ((y - out) ** 2).sum(0)
    total = ((y - y.mean(0)) ** 2).sum(0)
    total = np.where(total > 0, total, 1.0)
    return float(np.mean(1 - resid / total))


def noise(reference, candidate, reference_epochs, seed=0):
    """The run-to-run noise of `candidate.higher - reference.higher` (see
    the module docstring)."""
    return float(
        np.sqrt(
            _bootstrap_var(reference, candidate, seed) + _epoch_var(reference_epochs)
        )
    )


def _epoch_var(values):
    """Residual variance of the last `LAST_EPOCHS` values about their line."""
    tail = np.asarray(values[-LAST_EPOCHS:], dtype="float64")
    tail = tail[np.isfinite(tail)]
    if len(tail) < 3:
        return 0.0
    t = np.arange(len(tail))
    resid = tail - np.polyval(np.polyfit(t, tail, 1), t)
    return float((resid**2).sum() / (len(tail) - 2))


def _bootstrap_var(reference, candidate, seed):
    if reference.rows is None or candidate.rows is None:
        return 0.0
    rng = np.random.default_rng(seed)
    if reference.name == "val_r2":
        (y0, p0), (y1, p1) = reference.rows, candidate.rows
        n = len(y0)
        diffs = []
        for _ in range(RESAMPLES // 2):
            idx = rng.integers(0, n, n)
            diffs.append(_r2(y1[idx], p1[idx]) - _r2(y0[idx], p0[idx]))
        return float(np.var(diffs))
    delta = candidate.rows - reference.rows
    idx = rng.integers(0, len(delta), (RESAMPLES, len(delta)))
    return float(np.var(delta[idx].mean(axis=1)))


class EpochOutcome(keras.callbacks.Callback):
    """The outcome metric on (at most `_PROBE` rows of) the validation data
    after every epoch, in `values`; never changes the run."""

    def __init__(self, task, x_val, y_val, logits):
        super().__init__()
        step = max(1, len(x_val) // _PROBE)
        self.x, self.y = x_val[::step], np.asarray(y_val)[::step]
        self.task, self.logits = task, logits
        self.values = []

    def on_train_begin(self, logs=None):
        self.values = []

    def on_epoch_end(self, epoch, logs=None):
        if self.task == "unknown":
            value = float((logs or {}).get("val_loss", np.nan))
        else:
            out = predict(self.model, self.x)
            value = score(self.task, self.y, out, logits=self.logits).value
        self.values.append(value)
