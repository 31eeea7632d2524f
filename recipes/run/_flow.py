"""The body of `recipes.babysit` (private): each stage composed, in order."""

from __future__ import annotations

import json
import math
import os

import keras

from recipes.models.data_loss import with_data_loss
from recipes.run import _fit_callbacks
from recipes.run import _steps as steps

FIGURES = {
    "curves": "curves.png",
    "lr_range_test": "lr_range_test.png",
    "layer_health": "layer_health.png",
    "activations": "activation_histograms.png",
    "confusion_matrix": "confusion_matrix.png",
    "roc_pr": "roc_pr.png",
    "regression": "predicted_vs_actual.png",
    "search": "search.png",
}


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


def _say(verbose, text):
    if verbose:
        print(text, flush=True)


def _clean(value):
    """JSON-safe floats (NaN/inf as strings)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _dump(path, data):
    with open(path, "w") as f:
        json.dump(_clean(data), f, indent=2)


def _search(splits, state, tmp, *, epochs, seed, tune_kwargs, verbose):
    """`recipes.tune`, then a fresh model with the best values fixed."""
    import keras_tuner

    from recipes.search.hypermodel import RecipeHyperModel
    from recipes.search.tuning import tune

    builder = "mlp" if splits.x_train.ndim == 2 else "cnn"
    _say(verbose, f"Random search (recipes.tune, builder={builder!r}) ...")
    kwargs = {
        "stages": [{"trials": 10, "epochs": min(epochs, 10)}],
        "seed": seed,
        "directory": tmp,
        "project_name": "search",
        "overwrite": True,
        **(tune_kwargs or {}),
    }
    search = tune(
        splits.x_train,
        splits.y_train,
        validation_data=(splits.x_val, splits.y_val),
        builder=builder,
        task=splits.task,
        **kwargs,
    )
    state["search"] = search
    state["stages"] += [("search", f) for f in search.findings]
    best = dict(search.best_hyperparameters)
    state["best_hyperparameters"] = best
    state["builder"] = f"build_{builder}"
    search.to_csv(os.path.join(tmp, "search_trials.csv"))

    def make(learning_rate):
        fixed = RecipeHyperModel(
            builder,
            splits.x_train.shape[1:],
            splits.num_classes,
            x_train=splits.x_train,
            y_train=splits.y_train,
            search_space={**best, "learning_rate": learning_rate},
            builder_kwargs={"task": "regression"}
            if splits.task == "regression"
            else None,
            seed=seed,
        )
        return fixed.build(keras_tuner.HyperParameters())

    return best, make


def _lr_test(model, splits, state, *, batch_size, verbose):
    from recipes.checks.lr_finder import find_learning_rate

    _say(verbose, "Learning-rate range test (recipes.find_learning_rate) ...")
    test = find_learning_rate(
        model, splits.x_train, splits.y_train, batch_size=batch_size
    )
    state["lr_test"] = test
    found = list(getattr(test, "findings", []) or [])
    state["stages"] += [("lr_range_test", f) for f in found]
    return float(test.suggested_learning_rate)


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
):
    """Runs every stage into the folder `tmp`; returns the state for the report."""
    from callbacks import Babysitter
    from recipes.run.evaluation import evaluate

    table = splits.table
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
        best, make = _search(
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

        def make(rate):
            return steps.default_model(
                splits, learning_rate=rate, seed=seed, model_kwargs=model_kwargs
            )

    if make is not None:
        model = make(learning_rate or 1e-3)
    state["stages"] += [("data", f) for f in steps.size_findings(model, splits)]
    if preflight:
        _say(verbose, "Pre-flight checks (recipes.preflight) ...")
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
        learning_rate = _lr_test(
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
        _say(verbose, "  (the model's optimizer has a schedule; its rate is kept)")
    state["batch_size"] = batch_size
    state["learning_rate"] = learning_rate

    probe = steps.probe_sample(splits.x_train)
    start_acts = steps.activation_snapshot(model, probe)
    _say(
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
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True
        ),
        keras.callbacks.ModelCheckpoint(
            model_path, monitor="val_loss", save_best_only=True
        ),
        # Anneal once validation stalls (before early stopping gives up).
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss",
            factor=0.3,
            patience=max(1, patience // 3),
            min_lr=learning_rate / 100,
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
    end_acts = steps.activation_snapshot(model, probe)
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
        _say(verbose, "Evaluating once on the test split ...")
        metrics = evaluate(
            model,
            splits.x_test,
            splits.y_test,
            task=splits.task if splits.task == "regression" else "auto",
            class_names=splits.class_names if splits.task == "classification" else None,
        )
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
    _write_files(tmp, state, start_acts, end_acts)
    return state


def _write_files(tmp, state, start_acts, end_acts):
    from recipes.run import plots

    history = state["history"]
    val = history.get("val_loss", [])
    best = min(range(len(val)), key=lambda i: val[i]) if val else None
    from callbacks import diagnose

    verdict = diagnose(f for _, f in state["stages"])
    _dump(
        os.path.join(tmp, "metrics.json"),
        {
            "diagnosis": None if verdict is None else verdict.to_dict(),
            "test": state["metrics"],
            "baselines": state["baselines"],
            "training": {
                "learning_rate": state["learning_rate"],
                "learning_rate_source": state["lr_source"],
                "epochs_trained": len(history.get("loss", [])),
                "best_epoch": None if best is None else best + 1,
                "best_val": None
                if best is None
                else {
                    k[4:]: float(v[best])
                    for k, v in history.items()
                    if k.startswith("val_")
                },
            },
        },
    )
    _dump(os.path.join(tmp, "findings.json"), steps.tagged_stages(state["stages"]))
    figs = state["figures"]
    training = [f for stage, f in state["stages"] if stage == "training"]
    drawn = {"curves": plots.plot_curves(history, training)}
    test = state["lr_test"]
    if test is not None:
        drawn["lr_range_test"] = plots.plot_lr_range(test)
    if any(k.startswith(("dead_fraction/", "update_ratio/")) for k in history):
        drawn["layer_health"] = plots.plot_layer_health(history)
    if start_acts:
        drawn["activations"] = plots.plot_activation_histograms(
            start_acts,
            end_acts,
            title="activations per layer on a probe of the training data",
            labels=("start of training", "end of training"),
        )
    if "confusion_matrix" in state["metrics"]:
        drawn["confusion_matrix"] = plots.plot_confusion_matrix(
            state["metrics"]["confusion_matrix"], state["metrics"]["class_names"]
        )
    if state.get("test_scores") is not None:
        drawn["roc_pr"] = plots.plot_roc_pr(
            *state["test_scores"], positive=str(state["metrics"]["class_names"][1])
        )
    if state.get("test_predictions") is not None:
        drawn["regression"] = plots.plot_regression(
            *state["test_predictions"], target=state.get("target_name") or "target"
        )
    if state["search"] is not None:
        drawn["search"] = plots.plot_search_scatter(state["search"])
    for key, fig in drawn.items():
        figs[key] = os.path.join(tmp, FIGURES[key])
        fig.savefig(figs[key])
