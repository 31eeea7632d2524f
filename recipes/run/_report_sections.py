"""The report's tables of what was run and what it scored (private).

The metrics, "what was run" and baselines sections of `report.md`, and the
cell formatting the other sections share; `recipes.run.report` assembles
them.
"""

from __future__ import annotations


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _penalty(metrics):
    if metrics.get("penalty") is None:
        return ""
    return f" (the L2 penalty, {_fmt(metrics['penalty'])}, apart)"


def _metrics_section(metrics):
    lines = ["## Test metrics (the held-out split, evaluated once)", ""]
    if not metrics:
        return lines + ["No test split was held out (`test_split=0`).", ""]
    n = metrics["num_examples"]
    if "accuracy" in metrics:
        lines += [
            f"Accuracy **{metrics['accuracy']:.4f}**, macro F1 "
            f"{metrics['macro_f1']:.4f}, data loss {_fmt(metrics['loss'])}"
            f"{_penalty(metrics)} on {n} examples.",
            "",
            "| class | precision | recall | F1 | support |",
            "|---|---|---|---|---|",
        ]
        for row in metrics["per_class"]:
            lines.append(
                f"| {_cell(row['class'])} | {row['precision']:.3f} | "
                f"{row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |"
            )
    else:
        lines.append(
            f"RMSE **{metrics['rmse']:.4g}**, MAE {metrics['mae']:.4g}, "
            f"R² {metrics['r2']:.3f}, data loss {_fmt(metrics['loss'])}"
            f"{_penalty(metrics)} on {n} examples."
        )
    return lines + [""]


def _model_text(model, builder, result, splits):
    """Where the model came from: the recipe's builder (and what it does),
    the caller's builder, or the caller's model."""
    if not builder:
        return f"`{model.name}` (given by the caller)"
    if not builder.startswith("recipes.build_"):
        return f"`{model.name}` from `{builder}` (the caller's builder)"
    return (
        f"`{model.name}` from `{builder}`"
        + (" with the search's best values" if result.search else "")
        + ": preprocessing fitted on the training split inside the model, He "
        "init for ReLU, Dense/Conv -> BatchNorm -> ReLU, "
        + (
            "the target standardized inside the model (output started at "
            "the mean of the target)"
            if splits.task == "regression"
            else "output started at the class priors"
        )
    )


def _recipe_section(result, state, splits):
    model = result.model
    history = result.history
    epochs = len(history.get("loss", []))
    val = history.get("val_loss", [])
    best = min(range(len(val)), key=lambda i: val[i]) + 1 if val else None
    test = len(splits.x_test) if splits.x_test is not None else 0
    rows = [
        (
            "task",
            f"{splits.task}"
            + (
                f", {splits.num_classes} classes"
                if splits.task == "classification"
                else ""
            ),
        ),
        (
            "data",
            f"{len(splits.x_train)} train / {len(splits.x_val)} validation / "
            f"{test} test examples, input shape {tuple(splits.x_train.shape[1:])}",
        ),
        ("model", _model_text(model, state.builder, result, splits)),
        (
            "parameters",
            f"{result.ensemble} x {model.count_params() // result.ensemble:,}"
            if result.ensemble > 1
            else f"{model.count_params():,}",
        ),
        ("optimizer", f"{type(model.optimizer).__name__}"),
        (
            "learning rate",
            f"{result.learning_rate:.3g} ({state.lr_source}){result._lr_cuts()}",
        ),
        (
            "training",
            f"{epochs} epochs of batch {state.batch_size} (best validation "
            f"loss at epoch {best}); "
            f"Babysitter, EarlyStopping (patience {state.patience}, best "
            "weights restored), "
            "ReduceLROnPlateau, ModelCheckpoint",
        ),
    ]
    if result.ensemble > 1:
        pooled = len(splits.x_train) + len(splits.x_val)
        rows.append(
            (
                "average",
                f"of {result.ensemble} networks, the model saved: the first is "
                "the run above (its curves and findings are the report's); "
                f"{result.ensemble - 1} more trained the same way from other "
                "seeds, each stopping early on its own fold of the "
                f"{pooled} training and validation rows (a small table: one "
                "network's score moves with its seed)",
            )
        )
    if state.best_hyperparameters:
        hp = ", ".join(f"{k}={_fmt(v)}" for k, v in state.best_hyperparameters.items())
        rows.append(("search's best", hp))
    lines = ["## What was run", "", "| step | choice |", "|---|---|"]
    lines += [f"| {k} | {_cell(v)} |" for k, v in rows]
    return lines + [""]


def _baselines_section(metrics, found):
    if not found:
        return []
    keys = ["accuracy", "macro_f1"] if "accuracy" in metrics else ["r2", "rmse", "mae"]
    lines = [
        "## Baselines (the same split)",
        "",
        "| model | " + " | ".join(keys) + " |",
        "|---|" + "---|" * len(keys),
        "| **the network** | " + " | ".join(f"{metrics[k]:.4g}" for k in keys) + " |",
    ]
    for which in ("trivial", "linear"):
        row = found[which]
        lines.append(
            f"| {_cell(row['name'])} | "
            + " | ".join(f"{row[k]:.4g}" for k in keys)
            + " |"
        )
    return lines + [""]
