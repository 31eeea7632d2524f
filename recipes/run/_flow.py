"""The body of `recipes.babysit` (private): each stage composed, in order."""

from __future__ import annotations

import os

import keras

from recipes.models.data_loss import with_data_loss
from recipes.run import _defaults, _ensemble, _fit_callbacks, _probes
from recipes.run import _steps as steps
from recipes.run._before_training import lr_test, say, search
from recipes.run._files import write_files


class PreflightError(RuntimeError):
    """`babysit(strict=True)` stopped before training: a check found an error.

    Attributes:
        findings: The error findings, in the order found.
    """

    def __init__(self, findings):
        self.findings = list(findings)
        checks = ", ".join(sorted({f.check for f in self.findings}))
        super().__init__(
            f"{len(self.findings)} error finding(s) before training ({checks}); "
            "nothing was trained. Fix them, or run without strict."
        )


def run(
    splits,
    tmp,
    *,
    model,
    model_kwargs,
    learning_rate,
    epochs,
    batch_size,
    patience,
    preflight,
    tune,
    tune_kwargs,
    seed,
    verbose,
    strict=False,
    tensorboard=None,
    ensemble=None,
):
    """Runs every stage into the folder `tmp`; returns the state for the report."""
    from callbacks import Babysitter
    from recipes.run.evaluation import evaluate

    table = splits.table
    batch_size, patience = _defaults.training_defaults(
        splits, batch_size=batch_size, patience=patience
    )
    state = {
        "stages": [("data", f) for f in (table.findings if table else [])],
        "preflight": None,
        "lr_test": None,
        "search": None,
        "builder": None,
        "figures": {},
        "lr_source": "given" if learning_rate is not None else None,
    }
    make = None  # builds a fresh model at a learning rate (the recipe's models)
    if tune:
        if model is not None:
            raise ValueError(
                "`tune=True` searches the recipe's own builder, so it cannot be "
                "combined with `model`. Received: tune=True and a model"
            )
        best, make = search(
            splits,
            state,
            tmp,
            epochs=epochs,
            seed=seed,
            tune_kwargs=tune_kwargs,
            verbose=verbose,
        )
        batch_size = int(best.get("batch_size", batch_size))
        if learning_rate is None and "learning_rate" in best:
            learning_rate = float(best["learning_rate"])
            state["lr_source"] = "random search"
    elif model is None:
        state["builder"] = "build_mlp" if splits.x_train.ndim == 2 else "build_cnn"

        def make(rate, seed=seed, data=splits):
            return _defaults.default_model(
                data, learning_rate=rate, seed=seed, model_kwargs=model_kwargs
            )

    if ensemble is None:
        ensemble = _ensemble.default_size(splits, recipe_model=model is None, tune=tune)
    state["ensemble"] = ensemble
    if make is not None:
        model = make(learning_rate or 1e-3)
    state["stages"] += [("data", f) for f in _defaults.size_findings(model, splits)]
    if preflight:
        say(verbose, "Pre-flight checks (recipes.preflight) ...")
        from recipes.checks.preflight import preflight as run_preflight

        report = run_preflight(
            model,
            splits.x_train,
            splits.y_train,
            validation_data=(splits.x_val, splits.y_val),
            test_data=None if splits.x_test is None else (splits.x_test, splits.y_test),
            seed=seed or 0,
            feature_names=None if table is None else table.encoded_names,
        )
        state["preflight"] = report
        state["stages"] += [("preflight", f) for f in report.findings]
    errors = [f for _, f in state["stages"] if f.severity == "error"]
    if strict and errors:
        raise PreflightError(errors)
    if learning_rate is None:
        learning_rate = lr_test(
            model, splits, state, batch_size=batch_size, verbose=verbose
        )
        state["lr_source"] = "range test"
    if make is not None:  # fresh weights and optimizer at the chosen rate
        keras.backend.clear_session()
        if seed is not None:
            keras.utils.set_random_seed(seed)
        model = make(learning_rate)
        model = with_data_loss(model)  # logs data_loss: the loss without the L2
    elif not steps.set_learning_rate(model, learning_rate):
        say(verbose, "  (the model's optimizer has a schedule; its rate is kept)")
    state["batch_size"] = batch_size
    state["patience"] = patience
    state["learning_rate"] = learning_rate

    probe = _probes.probe_sample(splits.x_train)
    start_acts = _probes.activation_snapshot(model, probe)
    say(
        verbose,
        f"Training up to {epochs} epochs at learning rate "
        f"{learning_rate:.3g} with the Babysitter ...",
    )
    sitter = Babysitter(verbose=1 if verbose else 0)
    model_path = os.path.join(tmp, "model.keras")
    epoch_log = _fit_callbacks.EpochLog()
    cbs = [sitter]
    if tensorboard is not None:  # after the sitter: it sees its keys and findings
        from callbacks import BabysitterTensorBoard

        cbs += [
            BabysitterTensorBoard(tensorboard, babysitter=sitter),
            keras.callbacks.TensorBoard(os.fspath(tensorboard), write_graph=False),
        ]
    cbs += [
        *_ensemble.stopping_callbacks(patience, learning_rate),
        keras.callbacks.ModelCheckpoint(
            model_path, monitor="val_loss", save_best_only=True
        ),
        epoch_log,  # last: sees every other callback's keys
    ]
    if verbose:
        cbs.append(_fit_callbacks.Progress(epochs, every=max(1, epochs // 10)))
    model.fit(
        splits.x_train,
        splits.y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(splits.x_val, splits.y_val),
        callbacks=cbs,
        verbose=0,
    )
    history = epoch_log.history()
    epoch_log.write_csv(os.path.join(tmp, "history.csv"))
    state["stages"] += [("training", f) for f in sitter.findings]
    end_acts = _probes.activation_snapshot(model, probe)
    if ensemble > 1:
        say(
            verbose,
            f"Training {ensemble - 1} more networks the same way, from other "
            f"seeds, to average ({len(splits.x_train):,} training rows) ...",
        )
        model = _ensemble.average(
            [model]
            + _ensemble.train_members(
                make,
                splits,
                count=ensemble - 1,
                learning_rate=learning_rate,
                epochs=epochs,
                batch_size=batch_size,
                patience=patience,
                seed=seed,
            )
        )
    if table is None:
        model.save(model_path)  # the restored best weights, not the last epoch's
    else:  # raw columns in: the table's encoder, the network, its schema
        table.wrap(
            model,
            task=splits.task,
            target=splits.target_name,
            class_names=splits.class_names if splits.task == "classification" else None,
        ).save(model_path)

    metrics = {}
    if splits.x_test is not None:
        say(verbose, "Evaluating once on the test split ...")
        metrics = evaluate(
            model,
            splits.x_test,
            splits.y_test,
            task=splits.task if splits.task == "regression" else "auto",
            class_names=splits.class_names if splits.task == "classification" else None,
        )
        if ensemble > 1:
            metrics["members"] = _ensemble.member_scores(model, splits)
            if "penalty" in metrics:  # the sum of every member's: one's, on average
                metrics["penalty"] /= ensemble
    from recipes.run.baselines import baseline_findings, baselines

    if metrics and splits.task == "regression":
        pred = model.predict(splits.x_test, batch_size=256, verbose=0)
        state["test_predictions"] = (splits.y_test, pred)
        state["target_name"] = splits.target_name
    if metrics and splits.task == "classification" and splits.num_classes == 2:
        probs = model.predict(splits.x_test, batch_size=256, verbose=0)
        probs = probs.reshape(len(probs), -1)
        state["test_scores"] = (splits.y_test, probs[:, -1])  # P(class 1)

    state["baselines"] = baselines(splits, seed=seed or 0) if metrics else {}
    state["stages"] += [
        ("baseline", f) for f in baseline_findings(metrics, state["baselines"])
    ]
    state.update(
        model=model,
        history=history,
        metrics=metrics,
        findings=[f for _, f in state["stages"]],
    )
    write_files(tmp, state, start_acts, end_acts)
    return state
