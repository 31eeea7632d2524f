"""Grading a run's findings by its outcome (private): the Babysitter's mixin.

A symptom on a network that is learning well is worth knowing (info), not a
warning; at the end of training, a stall the run recovered from, an overfit
that passed or that EarlyStopping ended, and BatchNormalization statistics
that caught up are info too. Needs the Babysitter's `monitors`, `findings`,
`_epochs` and `_majority`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from callbacks._head import loss_kind, prior_loss
from callbacks._logs import chance_accuracy, number_of_classes
from callbacks.batchnorm import BatchNormMonitor
from callbacks.generalization import GeneralizationWatch
from callbacks.loss_watch import LossWatch

# Symptoms: on a network that is learning well they are worth knowing (info),
# not a warning. Outcomes (NaN, divergence, a stall, over/underfitting) and a
# wrong head are never gated.
_SYMPTOMS = {
    "dead_units",
    "saturated_units",
    "activation_std",
    "update_ratio",
    "vanishing_gradients",
    "exploding_gradients",
    "oscillating_loss",
    "batchnorm_statistics",
}
_WELL = " The network is learning well all the same, so this is only worth knowing."


class OutcomeGrading:
    """Mixin: `learning_well`, and severities graded by the outcome."""

    def _watch(self):
        return next((m for m in self.monitors if isinstance(m, LossWatch)), None)

    def _graded(self, finding):
        """Symptoms on a run that learns well, or that lagging BatchNorm
        statistics explain, become info."""
        if finding.severity == "info":
            return finding
        lag = any(f.check == "batchnorm_statistics" for f in self.findings)
        if lag and finding.check in ("dead_units", "overfitting"):
            return dataclasses.replace(
                finding,
                severity="info",
                message=finding.message + " BatchNormalization's moving "
                "statistics lag (see batchnorm_statistics), which explains it.",
            )
        if finding.check in _SYMPTOMS and self.learning_well():
            return dataclasses.replace(
                finding, severity="info", message=finding.message + _WELL
            )
        return finding

    def learning_well(self):
        """True when the run is learning well so far: the data loss fell well
        below where it started, and accuracy (training and validation) is well
        above the majority class's; without accuracy, the validation loss is
        near its best."""
        watch = self._watch()
        losses = watch.losses if watch is not None else []
        if not losses or not self._epochs:
            return False
        ref, _ = watch._reference()
        ref = max(ref or 0.0, losses[0]) if ref is not None else losses[0]
        if not losses[-1] <= 0.7 * ref:
            return False
        last = self._epochs[-1]
        if last.get("acc") is not None:
            chance = self._majority or chance_accuracy(self.model) or 0.0
            bar = chance + 0.4 * (1.0 - chance)
            if last["acc"] < bar:
                return False
            vals = [e["val_acc"] for e in self._epochs if e.get("val_acc") is not None]
            return not vals or (vals[-1] >= bar and vals[-1] >= max(vals) - 0.05)
        vals = [e["val_loss"] for e in self._epochs if e.get("val_loss") is not None]
        return not vals or (vals[-1] <= 1.5 * min(vals) and vals[-1] <= 0.9 * ref)

    def _labels(self, probe):
        """The priors' loss and the majority share, from the probe's labels."""
        watch = self._watch()
        y = None if probe is None else probe.y
        if watch is None or not is_array(y) or not len(y):
            return
        kind, _ = loss_kind(getattr(self.model, "loss", None))
        try:
            watch.prior_loss = prior_loss(
                kind, y, number_of_classes(self.model), str(self.model.loss)
            )
        except (ValueError, TypeError, IndexError):
            watch.prior_loss = None
        if kind in ("sparse", "one_hot", "binary"):
            y = np.asarray(y).reshape(len(y), -1)
            ids = y.argmax(1) if y.shape[1] > 1 else (y[:, 0] > 0.5).astype(int)
            if kind == "sparse":
                ids = y[:, 0].astype(int)
            counts = np.bincount(ids.clip(0))
            self._majority = float(counts.max() / counts.sum())

    def _regrade(self):
        """At the end, grade symptoms and passing troubles by the outcome."""
        well = self.learning_well()
        bn = next((m for m in self.monitors if isinstance(m, BatchNormMonitor)), None)
        gen = next(
            (m for m in self.monitors if isinstance(m, GeneralizationWatch)), None
        )
        epochs = (self.params or {}).get("epochs")
        stopped = (
            epochs is not None
            and self._last_epoch is not None
            and self._last_epoch + 1 < epochs
        )
        out = []
        for f in self.findings:
            note = None
            if f.severity != "info":
                if well and f.check in _SYMPTOMS | {"stalled_loss"}:
                    note = _WELL
                if f.check == "batchnorm_statistics" and bn is not None:
                    if bn.caught_up:
                        note = " The statistics had caught up by the end of training."
                if f.check == "overfitting" and gen is not None:
                    if not gen.still_overfitting():
                        note = " By the end the validation figures were back near "
                        note += "their best, so it passed."
                    elif stopped:
                        note = " Training stopped early (EarlyStopping?), which is "
                        note += "the remedy; restore_best_weights=True keeps the "
                        note += "best epoch."
            out.append(
                f
                if note is None
                else dataclasses.replace(f, severity="info", message=f.message + note)
            )
        self.findings = out


def is_array(a):
    return isinstance(a, np.ndarray) or (
        hasattr(a, "shape") and hasattr(a, "dtype") and not isinstance(a, dict)
    )
