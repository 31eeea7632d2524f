"""The run folder's files of `recipes.babysit` (private): JSON and figures."""

from __future__ import annotations

import json
import math
import os

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


def clean(value):
    """JSON-safe floats (NaN/inf as strings)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def dump(path, data):
    with open(path, "w") as f:
        json.dump(clean(data), f, indent=2)


def tagged_stages(stages):
    """`(stage, Finding)` pairs as JSON-ready dicts with their stage."""
    return [{"stage": stage, **f.to_dict()} for stage, f in stages]


def write_files(state):
    """Writes `metrics.json`, `findings.json` and the figures into the run's
    folder."""
    from recipes.run import plots

    tmp, history = state.folder, state.history
    val = history.get("val_loss", [])
    best = min(range(len(val)), key=lambda i: val[i]) if val else None
    from callbacks import diagnose

    verdict = diagnose(state.findings)
    dump(
        os.path.join(tmp, "metrics.json"),
        {
            "diagnosis": None if verdict is None else verdict.to_dict(),
            "test": state.metrics,
            "baselines": state.baselines,
            "training": {
                "learning_rate": state.learning_rate,
                "learning_rate_source": state.lr_source,
                "batch_size": state.batch_size,
                "patience": state.patience,
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
    dump(os.path.join(tmp, "findings.json"), tagged_stages(state.stages))
    figs = state.figures
    training = [f for stage, f in state.stages if stage == "training"]
    drawn = {"curves": plots.plot_curves(history, training)}
    test = state.lr_test
    if test is not None:
        drawn["lr_range_test"] = plots.plot_lr_range(test)
    if any(k.startswith(("dead_fraction/", "update_ratio/")) for k in history):
        drawn["layer_health"] = plots.plot_layer_health(history)
    start_acts, end_acts = state.activations
    if start_acts:
        drawn["activations"] = plots.plot_activation_histograms(
            start_acts,
            end_acts,
            title="activations per layer on a probe of the training data",
            labels=("start of training", "end of training"),
        )
    if "confusion_matrix" in state.metrics:
        drawn["confusion_matrix"] = plots.plot_confusion_matrix(
            state.metrics["confusion_matrix"], state.metrics["class_names"]
        )
    if state.test_scores is not None:
        drawn["roc_pr"] = plots.plot_roc_pr(
            *state.test_scores, positive=str(state.metrics["class_names"][1])
        )
    if state.test_predictions is not None:
        drawn["regression"] = plots.plot_regression(
            *state.test_predictions, target=state.target_name or "target"
        )
    if state.search is not None:
        drawn["search"] = plots.plot_search_scatter(state.search)
    for key, fig in drawn.items():
        figs[key] = os.path.join(tmp, FIGURES[key])
        fig.savefig(figs[key])
