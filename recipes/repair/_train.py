"""One run of the repair: a plan checked, trained, watched, scored (private).

`train` makes a fresh model of the plan from the seed, runs the pre-flight
checks on it (`recipes.preflight`: the data faults the Babysitter cannot see
from inside `fit`, such as labels out of range), trains it through the
recipe's one training step (`recipes.training.train_babysat`) with the
Babysitter, stopping a candidate that shows the failure it was meant to fix
(an error of that check, or a NaN loss), and scores it on the validation
data (`_outcome`). A `fit` that raises (labels out of the loss's range
crash TensorFlow's sparse cross-entropy) is a run that ended at once: its
model is scored untrained and the error is its `stopped_by`.
"""

from __future__ import annotations

import dataclasses
import time

import keras

from callbacks import Babysitter, diagnose
from recipes.checks.preflight import preflight
from recipes.repair._outcome import EpochOutcome, predict, score
from recipes.repair._plan import fresh_model, head
from recipes.training import train_babysat

# What the Babysitter says about its own watch, not about the program
_WATCH_ONLY = ("activation_checks_skipped", "gradient_checks_skipped")


@dataclasses.dataclass(eq=False)
class Run:
    """One trained run: its plan, model, watch, verdict and score."""

    plan: object
    model: object
    history: dict
    findings: list
    diagnosis: object
    outcome: object
    epoch_metric: list
    epochs_run: int
    seconds: float
    stopped_by: str | None = None
    accepted: bool = False  # set by the loop when judged
    change: object = None  # the `Change` this run tried, set by the loop

    def metrics(self):
        """`{outcome metric: value, "val_loss": the last epoch's}`."""
        out = {self.outcome.name: self.outcome.value}
        losses = self.history.get("val_loss") or []
        if losses and self.outcome.name != "val_loss":
            out["val_loss"] = float(losses[-1])
        return out


def train(plan, seed, *, abandon_on, verbose):
    """Trains `plan` from `seed` with the recipe's one training step
    (`recipes.training.train_babysat`) and returns its `Run`."""
    model = fresh_model(plan, seed)
    logits = bool(head(plan)[1])
    sitter = Babysitter(verbose=1 if verbose > 1 else 0)
    per_epoch = EpochOutcome(plan.task, plan.x_val, plan.y_val, logits)
    checked = []
    if not plan.subclassed:  # the checks need a known input shape
        checked = preflight(
            model, plan.x, plan.y, validation_data=(plan.x_val, plan.y_val), seed=seed
        ).findings
    keras.utils.set_random_seed(seed)  # the fit as without the checks
    start, crash, history, stopped = time.perf_counter(), None, {}, None
    try:
        trained = train_babysat(
            model,
            plan.x,
            plan.y,
            validation_data=(plan.x_val, plan.y_val),
            epochs=plan.epochs,
            batch_size=plan.batch_size,
            babysitter=sitter,
            stop_on_error={*abandon_on, "nan_loss"},
            patience=plan.early_stopping,
            callbacks=[per_epoch, *plan.fit_kwargs.get("callbacks", [])],
            class_weight=plan.fit_kwargs.get("class_weight"),
            shuffle=plan.fit_kwargs.get("shuffle", True),
        )
        history = trained.history
        stopped = trained.stopped_by and trained.stopped_by.check
    except Exception as e:  # noqa: BLE001 - a program that crashes is a result
        crash = f"crashed: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    history = {k: [float(v) for v in vals] for k, vals in history.items()}
    history["outcome"] = list(per_epoch.values)
    loss = (history.get("val_loss") or [float("nan")])[-1]
    outcome = score(
        plan.task, plan.y_val, predict(model, plan.x_val), logits=logits, loss=loss
    )
    findings = [*checked, *sitter.findings]
    return Run(
        plan=plan,
        model=model,
        history=history,
        findings=findings,
        diagnosis=diagnose(f for f in findings if f.check not in _WATCH_ONLY),
        outcome=outcome,
        epoch_metric=list(per_epoch.values),
        epochs_run=len(per_epoch.values),
        seconds=time.perf_counter() - start,
        stopped_by=crash or stopped,
    )


def rescore(model, plan):
    """The `Outcome` of a trained `model` on `plan`'s validation data (a fix
    that re-splits the rows is judged against the reference on the same
    rows)."""
    logits = bool(head(plan)[1])
    return score(plan.task, plan.y_val, predict(model, plan.x_val), logits=logits)
