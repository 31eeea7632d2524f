"""Grading a run's findings by its outcome (private): functions the Babysitter calls.

A symptom on a network that is learning well is worth knowing (info), not a
warning; at the end of training, a stall the run recovered from, an overfit
that passed or that EarlyStopping ended, and BatchNormalization statistics
that caught up are info too. Every function takes what it judges as
arguments: the findings, the loss curve, the per-epoch figures.

Example:

>>> from callbacks import Finding
>>> from callbacks._outcome import graded
>>> dead = Finding("dead_units", "warning", epoch=3, message="30% dead.")
>>> graded(dead, [], learning_well=True).severity
'info'
>>> graded(dead, [], learning_well=False).severity
'warning'
"""

from __future__ import annotations

import dataclasses

import numpy as np

from callbacks.heads import loss_kind, number_of_classes, prior_loss

# Symptoms: on a network that is learning well they are worth knowing (info),
# not a warning. Outcomes (NaN, divergence, a stall, over/underfitting) and a
# wrong head are never gated.
SYMPTOMS = frozenset(
    {
        "dead_units",
        "saturated_units",
        "activation_std",
        "update_ratio",
        "vanishing_gradients",
        "exploding_gradients",
        "oscillating_loss",
        "batchnorm_statistics",
        "float16_overflow",
    }
)
_WELL = " The network is learning well all the same, so this is only worth knowing."


def _number(value):
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


@dataclasses.dataclass(frozen=True)
class EpochFigures:
    """The figures of one epoch the grading reads (None where not logged)."""

    acc: float | None = None
    val_acc: float | None = None
    val_loss: float | None = None

    @classmethod
    def of(cls, logs, accuracy_key):
        """From an epoch's `logs`; `accuracy_key(logs)` finds the accuracy."""
        key = accuracy_key(logs)
        return cls(
            acc=_number(logs.get(key)) if key else None,
            val_acc=_number(logs.get(f"val_{key}")) if key else None,
            val_loss=_number(logs.get("val_loss")),
        )


def dropped(finding, findings):
    """Whether `finding` is a consequence not worth reporting: tiny updates
    in a dead, blown-up or architecturally frozen network (where "raise the
    learning rate" would be wrong), given the `findings` so far."""
    if finding.check != "update_ratio" or finding.value >= finding.threshold:
        return False
    causes = {"nan_loss", "diverging_loss"}
    return any(
        f.check in causes
        or (f.check in ("dead_units", "output_activation") and f.severity == "error")
        for f in findings
    )


def graded(finding, findings, learning_well):
    """`finding`, as info when the run's state explains it.

    Symptoms on a run that learns well (`learning_well`), or dead units and
    overfitting that lagging BatchNormalization statistics (a
    `batchnorm_statistics` finding among `findings`) explain, become info.
    """
    if finding.severity == "info":
        return finding
    lag = any(f.check == "batchnorm_statistics" for f in findings)
    if lag and finding.check in ("dead_units", "overfitting"):
        return dataclasses.replace(
            finding,
            severity="info",
            message=finding.message + " BatchNormalization's moving "
            "statistics lag (see batchnorm_statistics), which explains it.",
        )
    if finding.check in SYMPTOMS and learning_well:
        return dataclasses.replace(
            finding, severity="info", message=finding.message + _WELL
        )
    return finding


def learning_well(losses, prior, epochs, chance):
    """Whether a run is learning well so far.

    The data loss (`losses`, one per epoch) fell well below where it started
    (the first epoch's, or the priors' loss `prior` when higher), and the
    accuracy (training and validation, from `epochs`, a list of
    `EpochFigures`) is well above `chance` (the majority class's share);
    without accuracy, the validation loss is near its best.
    """
    if not losses or not epochs:
        return False
    ref = max(prior, losses[0]) if prior is not None else losses[0]
    if not losses[-1] <= 0.7 * ref:
        return False
    last = epochs[-1]
    if last.acc is not None:
        chance = chance or 0.0
        bar = chance + 0.4 * (1.0 - chance)
        if last.acc < bar:
            return False
        vals = [e.val_acc for e in epochs if e.val_acc is not None]
        return not vals or (vals[-1] >= bar and vals[-1] >= max(vals) - 0.05)
    vals = [e.val_loss for e in epochs if e.val_loss is not None]
    return not vals or (vals[-1] <= 1.5 * min(vals) and vals[-1] <= 0.9 * ref)


def label_facts(model, y):
    """`(prior_loss, majority)` from some training labels `y` of `model`.

    `prior_loss` is the loss of predicting the label frequencies (see
    `callbacks.heads.prior_loss`), `majority` the largest class's share for
    a classification loss; either is None when unknown.
    """
    if not is_array(y) or not len(y):
        return None, None
    kind, _ = loss_kind(getattr(model, "loss", None))
    try:
        prior = prior_loss(kind, y, number_of_classes(model), str(model.loss))
    except (ValueError, TypeError, IndexError):
        prior = None
    majority = None
    if kind in ("sparse", "one_hot", "binary"):
        y = np.asarray(y).reshape(len(y), -1)
        ids = y.argmax(1) if y.shape[1] > 1 else (y[:, 0] > 0.5).astype(int)
        if kind == "sparse":
            ids = y[:, 0].astype(int)
        counts = np.bincount(ids.clip(0))
        majority = float(counts.max() / counts.sum())
    return prior, majority


def regraded(findings, *, learning_well, caught_up, overfitting_passed, stopped):
    """The findings at the end of training, graded by the outcome.

    Args:
        findings: The run's findings.
        learning_well: Whether the run ended learning well.
        caught_up: Whether BatchNormalization's statistics caught up by the
            end (None: not measured).
        overfitting_passed: Whether the validation figures were back near
            their best by the end (None: not watched).
        stopped: Whether the fit stopped before its last epoch.

    Returns:
        A new list: symptoms and a stall on a run that learned well, lag that
        caught up and overfitting that passed or that the early stop ended,
        as info with the reason added to the message.
    """
    out = []
    for f in findings:
        note = None
        if f.severity != "info":
            if learning_well and f.check in SYMPTOMS | {"stalled_loss"}:
                note = _WELL
            if f.check == "batchnorm_statistics" and caught_up:
                note = " The statistics had caught up by the end of training."
            if f.check == "overfitting" and overfitting_passed is not None:
                if overfitting_passed:
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
    return out


def is_array(a):
    """Whether `a` is one array (numpy or a backend tensor), not a dict."""
    return isinstance(a, np.ndarray) or (
        hasattr(a, "shape") and hasattr(a, "dtype") and not isinstance(a, dict)
    )
