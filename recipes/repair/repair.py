"""`repair`: from a verdict to a run that trains, verified by measurement.

Example:

>>> import numpy as np, keras, recipes
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(600, 8)).astype("float32")
>>> y = (x[:, 0] + x[:, 1] > 0).astype("int32")
>>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, "relu"),
...                           keras.layers.Dense(2, activation="softmax")])
>>> model.compile(keras.optimizers.SGD(1e-6), "sparse_categorical_crossentropy",
...               metrics=["accuracy"])
>>> result = recipes.repair(model, x, y, epochs=4, seed=0, verbose=0)
>>> result.fixed, [change.code for change in result.changes]
(True, ['optimizer=keras.optimizers.Adam(learning_rate=0.001)'])
>>> print(result)  # doctest: +SKIP
Repair: val_accuracy 0.4833 -> 0.75: fixed (2 retrains, 9 s).
Before: stalled_loss: The training loss has stayed at the priors' loss 0.693 ...
Changes (as code):
  1. Optimizer SGD -> Adam(learning_rate=0.001).
       optimizer=keras.optimizers.Adam(learning_rate=0.001)
After: healthy (no warning or error).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from recipes.repair._arguments import check_settings, make_plan
from recipes.repair._outcome import noise
from recipes.repair._report import write_report
from recipes.repair._train import rescore, train
from recipes.repair.candidates import candidates
from recipes.repair.result import Attempt, RepairResult
from recipes.run._steps import close_run_dir, discard_run_dir, open_run_dir


def repair(
    model,
    x,
    y,
    *,
    validation_data=None,
    validation_split=0.2,
    epochs,
    batch_size=None,
    max_retrains=6,
    seed=None,
    output_dir=None,
    verbose=1,
    **fit_kwargs,
):
    """Finds what is wrong with a training program, fixes it and proves it.

    A baseline run trains a fresh copy of `model` as given, watched by
    `callbacks.Babysitter`; its diagnosis names a cause. A healthy baseline
    (no warning or error) ends the repair: nothing to fix, no retrain.
    Otherwise the fixes for the cause (then for the other causes in its
    evidence) are tried one at a time, cheapest and most likely first
    (`recipes.repair.candidates`), each on a fresh copy initialized from the
    same seed and trained with the same budget, watched again, and abandoned
    as soon as it shows the failure it was meant to fix (an error of the
    same check, or a NaN loss). A fix is accepted only when the outcome
    metric (validation accuracy; R² for regression; the validation loss when
    the task cannot be told from the labels) beats the program it was tried
    on by more than twice the run-to-run noise, measured on the runs
    themselves: the paired bootstrap spread of the metric's difference over
    the validation rows, and the spread of the reference run's metric over
    its last five epochs (see `recipes.repair._outcome`). An accepted
    program is diagnosed again; if it still fails, the next fix stacks on
    it, until it is healthy, no fix is left, or `max_retrains` runs. An
    accepted learning-rate step is stepped again the same way while it
    measures better; a rejected fix that cleared its cause but uncovered
    another gets that cause's first fix on top of it, once. Each is judged
    by the same rule.

    The user's model object is never changed (not its weights, not its
    optimizer); a subclassed model takes only compile-, fit- and data-level
    fixes, and the result says so. Data fixes (labels re-encoded, a target
    standardized, missing values filled) change the repair's own copy of the
    data, and the result says to make them in the pipeline too.

    Args:
        model: A compiled single-output Keras 3 model, as the user has it.
        x: Training inputs, a numpy array (NaNs allowed: a data fix may
            fill them).
        y: Training labels or targets.
        validation_data: `(x_val, y_val)` arrays. Defaults to `None` (the
            last `validation_split` of the rows, as `fit` takes them).
        validation_split: Share of the rows held out when no
            `validation_data` is given. Defaults to `0.2`.
        epochs: Epochs of every run (the budget a fix is judged on).
        batch_size: Batch size. Defaults to `None` (Keras' 32).
        max_retrains: Most training runs after the baseline. Defaults to `6`.
        seed: Seed every run is initialized from (`None`: one is drawn and
            kept in the result). Defaults to `None`.
        output_dir: A new folder for the report (`report.md`,
            `report.html`, the before/after curves) and the repaired
            `model.keras`, or `None` to write nothing. Defaults to `None`.
        verbose: 0 silent, 1 one line a run, 2 the Babysitter's errors too.
            Defaults to `1`.
        **fit_kwargs: `callbacks` (reusable ones, as Keras' own are),
            `class_weight` and `shuffle`, passed to every run's `fit`;
            `fit`'s other arguments are set by repair or refused.

    Returns:
        A `recipes.RepairResult`.

    Raises:
        TypeError: If `model` is not a Keras model, the data are not arrays,
            or `fit_kwargs` holds an argument repair sets itself.
        ValueError: If an argument is out of range, the model is not
            compiled or cannot be copied, or `output_dir` is not empty.
    """
    start = time.perf_counter()
    check_settings(max_retrains=max_retrains, seed=seed, verbose=verbose)
    plan = make_plan(
        model,
        x,
        y,
        validation_data,
        validation_split,
        epochs=epochs,
        batch_size=batch_size,
        fit_kwargs=fit_kwargs,
    )
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31 - 1))
    final, tmp = (None, None) if output_dir is None else open_run_dir(output_dir)
    try:
        result = _loop(plan, seed=seed, max_retrains=max_retrains, verbose=verbose)
        result = dataclasses.replace(result, seconds=time.perf_counter() - start)
        if tmp is not None:
            write_report(tmp, result)
            result = dataclasses.replace(result, run_dir=close_run_dir(tmp, final))
    except BaseException:
        if tmp is not None:
            discard_run_dir(tmp)
        raise
    if verbose:
        print(result)
    return result


def _say(verbose, text):
    if verbose:
        print(text, flush=True)


def _attempt(run_no, run, change, accepted, threshold=None):
    verdict = run.diagnosis.cause if run.diagnosis is not None else "healthy"
    return Attempt(
        run=run_no,
        change=change.description if change else "baseline",
        code=change.code if change else "",
        metric=run.outcome.value,
        verdict=verdict,
        epochs_run=run.epochs_run,
        seconds=run.seconds,
        accepted=accepted,
        threshold=threshold,
        stopped_by=run.stopped_by,
    )


def _loop(plan, *, seed, max_retrains, verbose):
    """The baseline, then fixes tried, verified and stacked (see `repair`)."""
    base = train(plan, seed, abandon_on=(), verbose=verbose)
    name = base.outcome.name
    _say(
        verbose,
        f"Repair, baseline: {name} {base.outcome.value:.4g}, "
        f"{_cause(base)} ({base.seconds:.0f} s).",
    )
    trials = _Trials(seed, verbose, [_attempt(0, base, None, True)])
    current, notes, rejected = base, [], set()
    accepted_fixes = []  # (fix, the plan it was applied to)
    if plan.subclassed:
        notes.append(
            "The model is subclassed: only compile-, fit- and data-level fixes "
            "were tried (changing layers needs a Sequential or Functional model)."
        )
    step = None  # the next step of the fix accepted last (a rate lowered again)
    while trials.count < max_retrains:
        further_step = step is not None
        if further_step:
            fix, cause = step
        elif current.diagnosis is None:
            break
        else:
            options = [
                fix
                for fix in candidates(current.diagnosis, current.plan)
                if fix not in rejected
            ]
            if not options:
                notes.append(
                    f"No fix in repair's vocabulary is left for "
                    f"{current.diagnosis.cause}: {current.diagnosis.suggestion}"
                )
                break
            fix, cause = options[0], current.diagnosis.cause
        step = None
        run = trials.run(fix, current.plan, current, cause)
        if run.accepted:
            _stack(accepted_fixes, fix, current.plan)
            current = run
            step = (fix.further(), cause) if fix.further() is not None else None
            _note(notes, run.change)
            continue
        rejected.add(fix)
        stone = None if further_step else _stepping_stone(run, cause, fix)
        if stone is None or trials.count >= max_retrains:
            continue
        # the fix cleared its cause but uncovered another: its first fix on top
        stone_cause = run.diagnosis.cause
        stacked = trials.run(
            stone, run.plan, current, stone_cause, on_top_of=trials.count
        )
        if stacked.accepted:
            _stack(accepted_fixes, fix, current.plan)
            _stack(accepted_fixes, stone, run.plan)
            current = stacked
            further = stone.further()
            step = (further, stone_cause) if further is not None else None
            _note(notes, run.change)
            _note(notes, stacked.change)
    changes = [fix.change(before) for fix, before in accepted_fixes]
    return RepairResult(
        fixed=bool(changes),
        changes=tuple(changes),
        model=current.model,
        retrains=trials.count,
        before=base.metrics(),
        after=current.metrics(),
        metric=name,
        attempts=tuple(trials.attempts),
        diagnosis_before=base.diagnosis,
        diagnosis_after=current.diagnosis,
        notes=tuple(notes),
        history_before=base.history,
        history_after=current.history,
        seed=seed,
    )


class _Trials:
    """Trains candidates, judges them against a reference, keeps the rows."""

    def __init__(self, seed, verbose, attempts):
        self.seed, self.verbose, self.attempts = seed, verbose, attempts
        self.count = 0

    def run(self, fix, plan, reference, cause, on_top_of=None):
        """Trains `fix` applied to `plan` (abandoned on `cause`) and judges it
        against `reference`; the `Run`, with `accepted` set. `on_top_of`: the
        number of the rejected try whose plan `plan` is."""
        self.count += 1
        change = fix.change(plan)
        if on_top_of is not None:
            change = dataclasses.replace(
                change, description=f"{change.description} On top of try {on_top_of}."
            )
        new_plan = fix.apply(plan)
        run = train(new_plan, self.seed, abandon_on=(cause,), verbose=self.verbose)
        ref = reference.outcome
        if fix.resplits:  # another validation split: the reference scored on it
            ref = rescore(reference.model, new_plan)
        gain = run.outcome.higher - ref.higher
        threshold = 2 * noise(ref, run.outcome, reference.epoch_metric, self.seed)
        run.accepted = run.stopped_by is None and gain > threshold and gain > 0
        run.change = change
        self.attempts.append(_attempt(self.count, run, change, run.accepted, threshold))
        _say(
            self.verbose,
            f"  try {self.count}: {change.description} -> {ref.name} "
            f"{run.outcome.value:.4g} ({gain:+.3g}, needed > {threshold:.3g}): "
            f"{'accepted' if run.accepted else 'rejected'}; {_cause(run)}"
            f" ({run.seconds:.0f} s).",
        )
        return run


def _stepping_stone(run, cause, fix):
    """The first fix for what a rejected `run` shows instead of `cause`, when
    `fix` cleared `cause` (the inputs are scaled now, but the sigmoids they
    no longer saturate still train slowly), or `None`."""
    if run.stopped_by or run.diagnosis is None or run.diagnosis.cause == cause:
        return None
    options = [
        other
        for other in candidates(run.diagnosis, run.plan)
        if type(other) is not type(fix)
    ]
    return options[0] if options else None


def _note(notes, change):
    if change.note and change.note not in notes:
        notes.append(change.note)


def _stack(accepted, fix, plan):
    """Adds `fix` (applied to `plan`), merged into the last accepted fix
    when it continues it (a learning rate lowered again)."""
    merged = fix.combine(accepted[-1][0]) if accepted else None
    if merged is not None:
        accepted[-1] = (merged, accepted[-1][1])
    else:
        accepted.append((fix, plan))


def _cause(run):
    if run.stopped_by:
        return f"stopped at epoch {run.epochs_run} ({run.stopped_by})"
    return "healthy" if run.diagnosis is None else run.diagnosis.cause
