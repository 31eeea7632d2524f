"""The run's figures as `matplotlib.figure.Figure` objects, one function each.

Every function draws on a bare `Figure` (no pyplot, no window, the global
backend left alone), writes a PNG only when given `path`, and returns the
figure: in Jupyter it shows inline, in a script `fig.savefig(...)` writes
it. matplotlib is imported inside the functions, so `import recipes` never
loads it. The evaluation figures (confusion matrix, ROC and precision-recall,
regression) live in `recipes.run._plot_evaluation`, the activation histograms
in `recipes.run._plot_histograms`; both are re-exported here.

Example:

>>> from recipes import plots
>>> fig = plots.plot_curves({"loss": [2.3, 1.1, 0.7], "val_loss": [2.2, 1.2, 0.9]})
>>> fig.savefig("curves.png")  # or plots.plot_curves(..., path="curves.png")
"""

from __future__ import annotations

import numpy as np

from recipes.run._plot_evaluation import (
    COLORS,
    figure,
    finish,
    plot_confusion_matrix,
    plot_regression,
    plot_roc_pr,
)
from recipes.run._plot_histograms import plot_activation_histograms

__all__ = [
    "plot_activation_histograms",
    "plot_confusion_matrix",
    "plot_curves",
    "plot_layer_health",
    "plot_lr_range",
    "plot_regression",
    "plot_roc_pr",
    "plot_search_scatter",
]

_BAND = (1e-4, 1e-2)  # around the lecture's healthy update/weight ratio, 1e-3


def _series(history, key):
    values = history.get(key)
    if values is None:
        return None
    return np.asarray([np.nan if v is None else float(v) for v in values])


def best_epoch(history):
    """The 1-based epoch of the lowest validation loss (the restored weights)."""
    val = _series(history, "val_loss")
    if val is None or not np.isfinite(val).any():
        return None
    return int(np.nanargmin(val)) + 1


def lr_cuts(history):
    """`[(epoch, old_rate, new_rate)]`: where the learning rate fell (1-based).

    `history["learning_rate"]` is each epoch's rate (ReduceLROnPlateau logs
    it), so a cut shows as the first epoch trained at the lower rate.
    """
    rates = _series(history, "learning_rate")
    if rates is None:
        return []
    return [
        (i + 1, float(rates[i - 1]), float(rates[i]))
        for i in range(1, len(rates))
        if rates[i] < 0.999 * rates[i - 1]
    ]


def _mark_training(ax, history, findings, *, legend):
    """Best epoch, learning-rate cuts and the findings' epochs, in the legend."""
    best = best_epoch(history)
    if best is not None:
        label = f"best epoch {best} (weights kept)"
        data = _series(history, "val_data_loss")
        if data is not None and np.isfinite(data).any():
            if int(np.nanargmin(data)) + 1 != best:  # the penalty moved it
                label = f"best epoch {best} (lowest val_loss, L2 included; kept)"
        ax.axvline(best, color="#55a868", lw=1.4, label=label)
    cuts = lr_cuts(history)
    for i, (epoch, _, _) in enumerate(cuts):
        label = None
        if i == 0:
            label = f"learning rate cut{'s' if len(cuts) > 1 else ''}: "
            label += f"{cuts[0][1]:.2g} -> {cuts[-1][2]:.2g} (ReduceLROnPlateau)"
        ax.axvline(epoch - 0.5, color="0.45", ls=":", lw=1.2, label=label)
    by_epoch = {}
    for f in findings or []:
        if f.epoch is not None and f.severity != "info":
            by_epoch.setdefault(f.epoch + 1, []).append(f)
    groups = {"warning": [], "error": []}  # severity -> [(epoch, findings)]
    for epoch, found in sorted(by_epoch.items()):
        worst = "error" if any(f.severity == "error" for f in found) else "warning"
        groups[worst].append((epoch, found))
    for severity, marks in groups.items():
        if not marks:
            continue
        names = sorted({f.check for _, found in marks for f in found})
        epochs = [e for e, _ in marks]
        label = f"{severity}: {', '.join(names[:3])}"
        label += f" +{len(names) - 3}" if len(names) > 3 else ""
        label += " (epoch " + ", ".join(map(str, epochs[:4]))
        label += ", ...)" if len(epochs) > 4 else ")"
        for i, epoch in enumerate(epochs):
            ax.axvline(
                epoch,
                color=COLORS[severity],
                ls="--",
                lw=1,
                alpha=0.8,
                label=label if legend and i == 0 else None,
            )


def _log_scale_if_wide(ax, values):
    """Log y only when the values span more than a decade, with readable ticks."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    finite = values[np.isfinite(values)]
    if not finite.size or finite.min() <= 0 or finite.max() / finite.min() < 10:
        return
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def plot_curves(history, findings=(), path=None):
    """Loss and accuracy (or MAE), train vs validation, with the run's events.

    The loss is the data loss (the L2 penalty apart) when the history has it.
    A green line marks the best validation epoch, whose weights the model
    keeps (EarlyStopping restores them); dotted lines mark learning-rate cuts
    (ReduceLROnPlateau), which explain flat tails; dashed lines mark warnings
    (orange) and errors (red), named in the legend, never over the curves.

    Args:
        history: `History.history`-like dict of per-epoch lists.
        findings: `Finding`s; warnings and errors with an epoch are marked.
            Defaults to `()`.
        path: PNG file to write, or `None` to write nothing. Defaults to
            `None`.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    from matplotlib.ticker import MaxNLocator

    metric = next((k for k in ("accuracy", "mae") if k in history), None)
    loss = "data_loss" if "data_loss" in history else "loss"
    title = "data loss (the L2 penalty apart)" if loss == "data_loss" else "loss"
    panels = [(loss, title)] + ([(metric, metric)] if metric else [])
    fig = figure(5.2 * len(panels), 4.0)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (key, title) in zip(axes, panels):
        shown = []
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            values = _series(history, name)
            if values is not None:
                shown.append(values)
                epochs = np.arange(1, len(values) + 1)
                label = "validation" if name.startswith("val_") else "train"
                ax.plot(epochs, values, style, lw=1.6, label=label)
        if key == loss and shown:
            _log_scale_if_wide(ax, np.concatenate(shown))
        ax.set_xlabel("epoch (from 1, as Keras' progress bar)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
        ax.grid(alpha=0.3, which="major")
        _mark_training(ax, history, findings, legend=key == loss)
        ax.legend(loc="best", fontsize=7, framealpha=0.9)
    return finish(fig, path)


def plot_lr_range(lr_test, path=None):
    """The learning-rate range test: `LRFinderResult.plot`'s own figure.

    Args:
        lr_test: An `LRFinderResult`.
        path: PNG file to write, or `None`. Defaults to `None`.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    return lr_test.plot(path)


def _per_layer(history, prefix):
    keys = [k for k in history if k.startswith(prefix + "/")]
    return {k.split("/", 1)[1]: _series(history, k) for k in keys}


def plot_layer_health(history, path=None):
    """Update/weight ratio per layer over epochs, and dead units when any.

    Reads the Babysitter's `update_ratio/<layer>` and `dead_fraction/<layer>`
    keys. The ratio is on a log scale with the lecture's healthy ~1e-3 as a
    line in a band (1e-4 to 1e-2); its staircase drops at the dotted lines
    are learning-rate cuts (ReduceLROnPlateau), not the network changing.
    The dead-unit panel is drawn only when some layer has dead units.

    Args:
        history: `History.history`-like dict.
        path: PNG file to write, or `None`. Defaults to `None`.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    from matplotlib.ticker import MaxNLocator

    dead = _per_layer(history, "dead_fraction")
    ratio = _per_layer(history, "update_ratio")
    any_dead = any(np.nanmax(v, initial=0) > 0 for v in dead.values() if v.size)
    panels = (["ratio"] if ratio or not any_dead else []) + (
        ["dead"] if any_dead else []
    )
    fig = figure(5.4 * len(panels), 4.0)
    axes = dict(zip(panels, fig.subplots(1, len(panels), squeeze=False)[0]))
    for key, series in (("ratio", ratio), ("dead", dead)):
        if key not in axes:
            continue
        ax = axes[key]
        for name, values in series.items():
            # measured epochs only: the probe checks skip some (NaN)
            epochs = np.arange(1, len(values) + 1)
            kept = np.isfinite(values)
            ax.plot(epochs[kept], values[kept], marker=".", lw=1.3, label=name)
        if not series:
            ax.text(
                0.5,
                0.5,
                "not measured",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="gray",
            )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        for i, (epoch, _, _) in enumerate(lr_cuts(history)):
            ax.axvline(
                epoch - 0.5,
                color="0.45",
                ls=":",
                lw=1.2,
                label="learning rate cut (ReduceLROnPlateau)" if i == 0 else None,
            )
        if series and len(series) <= 10 or lr_cuts(history):
            ax.legend(fontsize=7, loc="best", ncol=2 if len(series) > 5 else 1)
    if "dead" in axes:
        axes["dead"].set_title("dead units (never active on the probe)")
        axes["dead"].set_ylabel("fraction of units")
        axes["dead"].set_ylim(-0.02, 1.02)
    if "ratio" in axes:
        ax = axes["ratio"]
        ax.set_yscale("log")
        ax.axhspan(*_BAND, color="#55a868", alpha=0.15)
        ax.axhline(1e-3, color="#55a868", lw=1)
        ax.set_title("update / weight ratio (healthy ~1e-3, green band)")
        ax.set_ylabel("||dW|| / ||W|| per step")
        if dead and not any_dead:
            ax.text(
                0.01,
                0.01,
                "no dead units in any layer (panel not drawn)",
                transform=ax.transAxes,
                fontsize=7,
                color="0.35",
            )
    return finish(fig, path)


def plot_search_scatter(search, path=None):
    """Random-search trials: `TuneResult.plot`'s own figure, the objective
    against each searched hyperparameter, the best trial starred.

    Args:
        search: A `TuneResult` from `recipes.tune`.
        path: PNG file to write, or `None`. Defaults to `None`.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    return search.plot(path)
