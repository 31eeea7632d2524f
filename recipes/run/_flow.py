"""The body of `recipes.babysit` (private): its steps, in order.

`run` builds the model, runs the checks before training, picks the rate,
trains, evaluates and writes the files, each step a function that reads
`RunOptions` and fills in the `RunState`.
"""

from __future__ import annotations

import os

import keras

from recipes.run import _defaults, _devices, _ensemble, _fit_callbacks, _probes
from recipes.run import _steps as steps
from recipes.run._before_training import lr_test, say, search
from recipes.run._files import write_files
from recipes.run._state import RunState
from recipes.run.errors import PreflightError


def run(splits, folder, options):
    """Runs every step into the folder `folder`; returns the `RunState`."""
    state = RunState(splits=splits, folder=folder)
    state.add("data", splits.table.findings if splits.table else [])
    state.batch_size, state.patience = _defaults.training_defaults(
        splits, batch_size=options.batch_size, patience=options.patience
    )
    build(state, options)
    check_before_training(state, options)
    choose_rate(state, options)
    train(state, options)
    evaluate(state, options)
    write_files(state)
    return state


def build(state, options):
    """The model to train: the search's best, a builder's (the recipe's or
    the caller's), or the caller's compiled model."""
    splits, make, builder = state.splits, None, options.model
    searched = options.tune is not False
    if searched:
        best, make = search(state, options)
        state.batch_size = int(best.get("batch_size", state.batch_size))
    elif not isinstance(builder, keras.Model):
        state.builder = _defaults.builder_name(builder, splits)

        def make(rate, seed=options.seed, data=splits):
            return _defaults.default_model(
                data, learning_rate=rate, seed=seed, builder=builder
            )

    state.make = make
    state.ensemble = options.ensemble or _ensemble.default_size(
        splits, recipe_model=make is not None, tune=searched
    )
    rate = options.learning_rate or state.learning_rate or 1e-3
    state.model = options.model if make is None else make(rate)
    state.add("data", _defaults.size_findings(state.model, splits))


def check_before_training(state, options):
    """The pre-flight checks; with `strict`, any error stops the run."""
    splits = state.splits
    if options.preflight:
        say(options.verbose, "Pre-flight checks (recipes.preflight) ...")
        from recipes.checks.preflight import preflight

        state.preflight = preflight(
            state.model,
            splits.x_train,
            splits.y_train,
            validation_data=(splits.x_val, splits.y_val),
            test_data=None if splits.x_test is None else (splits.x_test, splits.y_test),
            seed=options.seed or 0,
            feature_names=None if splits.table is None else splits.table.encoded_names,
        )
        state.add("preflight", state.preflight.findings)
    errors = [f for f in state.findings if f.severity == "error"]
    if options.strict and errors:
        raise PreflightError(errors)


def choose_rate(state, options):
    """The learning rate: given, the search's, or the range test's; then a
    fresh recipe model at that rate (the caller's model keeps its weights)."""
    if options.learning_rate is not None:
        state.learning_rate, state.lr_source = options.learning_rate, "given"
    elif state.lr_source is None:  # the search sets its own
        state.learning_rate = lr_test(state, options.verbose)
        state.lr_source = "range test"
    if state.make is not None:  # fresh weights and optimizer at the chosen rate
        from recipes.models.data_loss import with_data_loss

        keras.backend.clear_session()
        if options.seed is not None:
            keras.utils.set_random_seed(options.seed)
        # Logs data_loss: the loss without the L2 penalty. Built and
        # compiled on the devices it trains on.
        with _devices.scope(options.distribution):
            state.model = with_data_loss(state.make(state.learning_rate))
    elif not steps.set_learning_rate(state.model, state.learning_rate):
        say(options.verbose, "  (the optimizer has a schedule; its rate is kept)")


def train(state, options):
    """Trains the model with the Babysitter (and averages more networks)."""
    from callbacks import Babysitter
    from recipes.training import train_babysat

    splits, verbose, where = state.splits, options.verbose, options.distribution
    probe = _probes.probe_sample(splits.x_train)
    start = _probes.activation_snapshot(state.model, probe)
    state.batch_size = _devices.default_batch_size(state.batch_size, where)
    x, y = _devices.even_rows(splits.x_train, splits.y_train, where)
    validation_data = _devices.even_rows(splits.x_val, splits.y_val, where)
    say(
        verbose,
        f"Training up to {options.epochs} epochs at learning rate "
        f"{state.learning_rate:.3g} with the Babysitter"
        + ("" if where is None else f", on {_devices.describe(where)}")
        + " ...",
    )
    sitter = options.babysitter
    if sitter is None:
        sitter = Babysitter(verbose=1 if verbose else 0)
    cbs = list(options.callbacks)
    if verbose:
        every = max(1, options.epochs // 10)
        cbs.append(_fit_callbacks.Progress(options.epochs, every=every))
    with _devices.scope(where):
        trained = train_babysat(
            state.model,
            x,
            y,
            validation_data=validation_data,
            epochs=options.epochs,
            batch_size=state.batch_size,
            babysitter=sitter,
            patience=state.patience,
            anneal_from=state.learning_rate,
            checkpoint=os.path.join(state.folder, "model.keras"),
            callbacks=cbs,
        )
    trained.write_csv(os.path.join(state.folder, "history.csv"))
    state.history = trained.history
    state.add("training", trained.findings)
    state.activations = (start, _probes.activation_snapshot(state.model, probe))
    if state.ensemble > 1:
        say(
            verbose,
            f"Training {state.ensemble - 1} more networks the same way, from other "
            f"seeds, to average ({len(splits.x_train):,} training rows) ...",
        )
        members = _ensemble.train_members(
            state.make,
            splits,
            count=state.ensemble - 1,
            learning_rate=state.learning_rate,
            epochs=options.epochs,
            batch_size=state.batch_size,
            patience=state.patience,
            seed=options.seed,
            distribution=where,
        )
        with _devices.scope(where):
            state.model = _ensemble.average([state.model, *members])
    _save(state)


def _save(state):
    """`model.keras`: the restored best weights, not the last epoch's; on a
    table, raw columns in (the table's encoder, the network, its schema).
    Written by `save_model`, so Keras alone loads it (with a table's
    encoder: after `import recipes`)."""
    from recipes.models.saving import save_model

    splits, path = state.splits, os.path.join(state.folder, "model.keras")
    if splits.table is None:
        save_model(state.model, path)
        return
    model = splits.table.wrap(
        state.model,
        task=splits.task,
        target=splits.target_name,
        class_names=splits.class_names if splits.task == "classification" else None,
    )
    save_model(model, path)


def evaluate(state, options):
    """The test split, once; the baselines on the same split."""
    from recipes.run.baselines import baseline_findings, baselines

    splits = state.splits
    if splits.x_test is None:
        return
    say(options.verbose, "Evaluating once on the test split ...")
    from recipes.training import expected_traces

    # A fresh average traces its functions once; on several devices, so
    # does each batch shape: not a retrace of one function.
    with expected_traces():
        _score(state, options)
    state.baselines = baselines(splits, seed=options.seed or 0)
    state.add("baseline", baseline_findings(state.metrics, state.baselines))


def _score(state, options):
    """The test metrics and the test predictions the figures need."""
    from recipes.run.evaluation import evaluate as score

    splits, model = state.splits, state.model
    batch = _devices.evaluation_batch_size(len(splits.x_test), options.distribution)
    classes = splits.class_names if splits.task == "classification" else None
    state.metrics = score(
        model,
        splits.x_test,
        splits.y_test,
        task=splits.task if splits.task == "regression" else "auto",
        class_names=classes,
        batch_size=batch,
    )
    if state.ensemble > 1:
        state.metrics["members"] = _ensemble.member_scores(model, splits)
        if "penalty" in state.metrics:  # the sum of every member's: one's, on average
            state.metrics["penalty"] /= state.ensemble
    if splits.task == "regression":
        pred = model.predict(splits.x_test, batch_size=batch, verbose=0)
        state.test_predictions = (splits.y_test, pred)
    elif splits.num_classes == 2:
        probs = model.predict(splits.x_test, batch_size=batch, verbose=0)
        state.test_scores = (splits.y_test, probs.reshape(len(probs), -1)[:, -1])
