"""`tune`: random search, coarse to fine, on KerasTuner (resumable, distributed)."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np

from recipes import _validate
from recipes.search import _chief, _fingerprint, _progress
from recipes.search import _tune_args as _args
from recipes.search import narrowing as _narrowing
from recipes.search import space as _search_space
from recipes.search import stages as _stages
from recipes.search.hypermodel import RecipeHyperModel
from recipes.search.result import TuneResult

__all__ = ["tune", "TuneResult"]


def _role():
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return "single"
    return "chief" if "chief" in os.environ.get("KERASTUNER_TUNER_ID", "") else "worker"


def tune(
    x,
    y,
    *,
    validation_data=None,
    cv="auto",
    builder="mlp",
    search_space=None,
    stages=None,
    max_trials=None,
    time_limit=None,
    objective=None,
    task="auto",
    directory=None,
    project_name="search",
    overwrite=False,
    seed=None,
    distribution_strategy=None,
    babysit=True,
    callbacks=None,
    validation_split=0.2,
    verbose=0,
    **kwargs,
):
    """Random search on a log scale, coarse to fine, with KerasTuner.

    Stage 0 samples many short trials over the full ranges; each later
    stage narrows every range around the best trials of the stage before
    (see `stages`) and trains longer. The first trial of stage 0 is the
    builder's untuned defaults (each moved to the nearest value inside the
    space), so the search always measures the recipe's own model; each later
    stage starts with the best trial of the stage before and the defaults
    again, trained longer. Each stage is a
    `keras_tuner.RandomSearch` project under `directory/project_name/stage_i`,
    so a search that is stopped (even killed mid-trial) and run again with
    `overwrite=False` finishes only the remaining trials. With
    `babysit=True` each trial runs with a `callbacks.Babysitter` of the
    loss checks that stop a trial (`nan_loss`, `diverging_loss`; the
    others, tracing a probe for each new model, cost more time than a short
    trial can spare): a NaN or diverging trial stops early and is recorded
    with the reason. Trials that tie
    on the objective are ranked on their `val_loss` at their best epoch. A
    hyperparameter whose best value sits in the outer tenth of its range,
    and beat every trial away from that edge, gives a warning `Finding`
    (never one asking for more units or filters than the training rows).
    The project folder stores what the search ran on
    (`recipes_search.json`: the data's shapes, dtypes and a hash of a
    sample of rows, the builder, the space, the objective and the split);
    a rerun that does not match raises before any training.

    Distributed: set `KERASTUNER_TUNER_ID` (`chief` or `tuner0`, `tuner1`...),
    `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` and run the same
    script in every process; stage `i` serves on port `PORT + i`. The chief
    only hands out trials; the result (table, best model) lives on the chief.

    Args:
        x: Training inputs.
        y: Integer class labels, or real targets for regression.
        validation_data: `(x_val, y_val)` for the objective. Defaults to
            `None` (a stratified `validation_split` of `x`, or `cv`).
        cv: Number of folds per trial (stratified for classes, `KFold`
            for regression; the objective is averaged over folds, the folds
            are cut from `x` and `validation_data` together), `"auto"` or
            `None` (one validation set, never folds). `"auto"` uses 5 folds
            (fewer if a class has fewer rows) when the validation set would
            have under 200 rows, where one split ties and misranks trials,
            and says so in an info `Finding` (`search_cv_default`); else
            one validation set. Defaults to `"auto"`.
        builder: `"mlp"` (`build_mlp`), `"cnn"` (`build_cnn`), or a
            `RecipeHyperModel` carrying the builder, its search space and
            its fixed arguments (e.g. `RecipeHyperModel("mlp",
            builder_kwargs={"preprocessing": "pca"})`); the data gives the
            input shape and classes, `seed` the initializers. Defaults to
            `"mlp"`.
        search_space: Overrides of the default space (see
            `RecipeHyperModel`); not with a `RecipeHyperModel`, which
            carries its own. Defaults to `None`.
        stages: List of dicts `{"trials", "epochs", "top", "margin",
            "patience"}`: `top` (fraction or count) of the previous stage's
            best trials to narrow around, `margin` the padding as a fraction
            of the old (log) width, `patience` the epochs without a better
            objective after which a trial stops (None: never). Defaults to
            three stages, `None`: 24 trials of 10 epochs; 8 of up to 50 epochs
            (patience 15) around the best quarter; 4 of up to 300 epochs
            (patience 40) around the best half. Defaults to `None` (those
            three).
        max_trials: A shortcut for one stage of that many trials of 10
            epochs (KerasTuner's name); not with `stages`. Defaults to
            `None`.
        time_limit: Seconds after which no new trial or stage starts (the
            running trial finishes; the first trial always runs), for a
            search on a wall-clock budget. Defaults to `None` (no limit).
        objective: `"val_accuracy"`, `"val_loss"`, `"val_mae"`, `"accuracy"`,
            `"loss"` or a `keras_tuner.Objective`. Defaults to `None`:
            `"val_accuracy"` for classification, `"val_loss"` for regression.
        task: `"auto"` (integer labels with at most 50 values are classes),
            `"classification"` or `"regression"` (unstratified splits, the
            target standardized inside each model). Defaults to `"auto"`.
        directory: Folder of the search's files. Defaults to `None`
            (`runs/tuning`).
        project_name: Sub-folder of this search. Defaults to `"search"`.
        overwrite: Delete an existing search of that name instead of
            resuming it. Defaults to `False`.
        seed: Seed of the sampling, the splits, each trial's training and
            `best_model(refit=True)`. Defaults to `None`.
        distribution_strategy: A `tf.distribute.Strategy` every trial's model
            is built and trained under (e.g. `MirroredStrategy()` for several
            GPUs; TensorFlow only, as in KerasTuner). Defaults to `None`.
        babysit: Run each trial with the Babysitter. Defaults to `True`.
        callbacks: Extra Keras callbacks for every trial (deep-copied per
            trial). Defaults to `None`.
        validation_split: Held-out fraction when neither `validation_data`
            nor `cv` is given. Defaults to `0.2`.
        verbose: `0` silent; `1` one line per trial (stage, trial, its
            values, objective, epochs, seconds, why it stopped) and the
            top 5 at the end; `2` also KerasTuner's and `fit`'s output.
            Defaults to `0`.

    Returns:
        A `TuneResult`: `table()`, `best_hyperparameters`, `findings`,
        `plot(path)`, and `best_model()` (the best trial's model) or
        `best_model(refit=True)` (its hyperparameters retrained on all the
        data the search saw, for its best epoch, then annealed to 0).

    Raises:
        ValueError: On bad data, an unknown builder, hyperparameter or
            objective, an empty, inverted or non-positive log range, bad
            stages, too few samples per class for `cv`, or a folder holding
            a search of other data, builder or space (resume only a match;
            `overwrite=True` or another `project_name` starts anew); all
            before the first trial.
        TypeError: If `max_trials` is not an integer, `distribution_strategy`
            is not a `tf.distribute.Strategy` (on TensorFlow), or on a removed
            keyword (`builder_kwargs`: pass a `RecipeHyperModel` as
            `builder`).

    Example:

    >>> from recipes import datasets, tune
    >>> data = datasets.load("iris")
    >>> result = tune(data.x_train, data.y_train, cv=3, seed=0,
    ...               stages=[{"trials": 3, "epochs": 2}],
    ...               directory="/tmp/tune_iris", overwrite=True)
    >>> sorted(result.best_hyperparameters)[:2]
    ['batch_norm', 'batch_size']
    """
    _args.refuse_removed(kwargs)
    x = _validate.check_x(x, "x")
    builder, search_space, builder_kwargs = _args.builder_of(
        builder, search_space, x.shape[1:]
    )
    y = np.asarray(y)
    task = _validate.infer_task(y, task)
    if task == "regression":
        num_classes = 1
        y = _validate.check_labels(y, task=task, num_classes=1, length=len(x))
        builder_kwargs = {"task": "regression", **builder_kwargs}
    else:
        num_classes = int(np.max(y)) + 1 if y.size else 0
        y = _validate.check_labels(
            y, task=task, num_classes=max(num_classes, 2), length=len(x)
        )
        num_classes = max(num_classes, 2)
    stages = _args.stage_list(stages, max_trials)
    obj = _args.objective_of(objective, task)
    deadline = _args.deadline_of(time_limit)
    _args.check_verbose(verbose)
    _args.check_strategy(distribution_strategy)
    validation_data, cv, notes, folds, x_all, y_all = _args.data_plan(
        x, y, validation_data, cv, validation_split, seed, task, verbose
    )

    def make_hypermodel(space):
        return RecipeHyperModel(
            builder,
            x.shape[1:],
            num_classes,
            x_train=folds[0][0],
            y_train=folds[0][1],
            search_space=space,
            builder_kwargs=builder_kwargs,
            seed=seed,
        )

    hypermodel = make_hypermodel(search_space)
    root = os.path.abspath(
        os.path.join(directory or os.path.join("runs", "tuning"), project_name)
    )
    role = _role()
    if overwrite and role != "worker" and os.path.exists(root):
        shutil.rmtree(root)
    split = {"cv": cv, "seed": seed}
    if cv is None and validation_data is None:
        split["validation_split"] = validation_split
    _fingerprint.check_or_write(
        root,
        _fingerprint.fingerprint(
            x,
            y,
            validation_data,
            builder=builder,
            builder_kwargs=builder_kwargs,
            specs=hypermodel.specs,
            objective=obj,
            split=split,
        ),
        write=role != "worker",
    )
    base_port = os.environ.get("KERASTUNER_ORACLE_PORT")
    specs, tuners, spaces = hypermodel.specs, [], []
    defaults = hypermodel.default_values()
    first_values = [defaults]
    try:
        for i, stage in enumerate(stages):
            if i and deadline is not None and time.time() >= deadline:
                break  # the time is up: the stages so far are the search
            if i and role != "worker":
                best = TuneResult.best_values(tuners[-1], stage["top"])
                specs = _narrowing.narrow(specs, best, margin=stage["margin"])
                first_values = [best[0], defaults]
            space = _search_space.full_space(builder, specs)
            spaces.append(specs)
            stage_model = make_hypermodel(space)
            stage_seed = None if seed is None else int(seed) + 1000 * i
            if base_port is not None:
                os.environ["KERASTUNER_ORACLE_PORT"] = str(int(base_port) + i)
            tuner = _stages.StageTuner(
                hypermodel=stage_model,
                objective=obj,
                max_trials=stage["trials"],
                seed=stage_seed,
                first_values=[_search_space.place(specs, v) for v in first_values],
                trial_seed=stage_seed,
                deadline=deadline,
                distribution_strategy=distribution_strategy,
                directory=root,
                project_name=f"stage_{i}",
                overwrite=False,
            )
            tuners.append(tuner)
            if role == "chief":
                _chief.serve_chief(tuner)
            else:
                tuner.search(
                    folds,
                    epochs=stage["epochs"],
                    patience=stage["patience"],
                    babysit=babysit,
                    callbacks=list(callbacks or ()),
                    verbose=1 if verbose == 2 else 0,
                    progress=(i, specs) if verbose else None,
                )
    finally:
        if base_port is not None:
            os.environ["KERASTUNER_ORACLE_PORT"] = base_port
    result = TuneResult(
        root,
        objective=obj,
        stages=stages,
        specs=spaces,
        tuners=tuners if role != "worker" else None,
        # Every example the search saw: x (split or folded), plus any
        # validation_data given apart from it.
        refit_data=[(x_all, y_all)],
        role=role,
        folds=len(folds) if cv is not None else 1,
        seed=seed,
        notes=notes,
        n_rows=len(folds[0][0]),
        hypermodel=hypermodel,
        task=task,
    )
    if verbose and role != "worker":
        print(_progress.top_lines(result), flush=True)
    return result
