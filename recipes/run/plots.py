"""The run folder's figures, one function per PNG.

Every function draws on a bare `matplotlib.figure.Figure` (the Agg renderer,
no pyplot, never a window), writes `path` and returns it. matplotlib is
imported inside the functions, so `import recipes` never loads it.

Example:

>>> from recipes import plots
>>> plots.plot_curves({"loss": [2.3, 1.1, 0.7], "val_loss": [2.2, 1.2, 0.9]},
...                   [], "curves.png")
'curves.png'
"""

from __future__ import annotations

import numpy as np

_COLORS = {"info": "#4c72b0", "warning": "#dd8452", "error": "#c44e52"}
_BAND = (1e-4, 1e-2)  # around the lecture's healthy update/weight ratio, 1e-3
_LABEL = dict(
    xycoords=("data", "axes fraction"), rotation=90, va="top", ha="left", fontsize=7
)
_CORNER = dict(ha="right", va="top", fontsize=7)


def _figure(width, height):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(fig, path):
    fig.savefig(path)
    return str(path)


def _series(history, key):
    values = history.get(key)
    if values is None:
        return None
    return np.asarray([np.nan if v is None else float(v) for v in values])


def _mark_findings(ax, findings, top):
    """Dashed lines at the epochs of warnings and errors, labelled once."""
    by_epoch = {}
    for f in findings:
        if f.epoch is None or f.severity == "info":
            continue
        by_epoch.setdefault(f.epoch, []).append(f)
    for epoch, found in sorted(by_epoch.items()):
        worst = "error" if any(f.severity == "error" for f in found) else "warning"
        ax.axvline(epoch + 1, color=_COLORS[worst], ls="--", lw=1, alpha=0.8)
        if top:
            names = sorted({f.check for f in found})
            label = ", ".join(names[:2]) + (
                f" +{len(names) - 2}" if len(names) > 2 else ""
            )
            ax.annotate(label, (epoch + 1, 1.0), color=_COLORS[worst], **_LABEL)
    return len(by_epoch)


def plot_curves(history, findings, path):
    """Loss and accuracy (or MAE), train vs validation, findings marked.

    Args:
        history: `History.history`-like dict of per-epoch lists.
        findings: `Finding`s; warnings and errors with an epoch are marked by
            a dashed line at that epoch.
        path: PNG file to write.

    Returns:
        `path`.
    """
    from matplotlib.ticker import MaxNLocator

    metric = next((k for k in ("accuracy", "mae") if k in history), None)
    loss = "data_loss" if "data_loss" in history else "loss"
    title = "data loss (the L2 penalty apart)" if loss == "data_loss" else "loss"
    panels = [(loss, title)] + ([(metric, metric)] if metric else [])
    fig = _figure(5.2 * len(panels), 3.8)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (key, title) in zip(axes, panels):
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            values = _series(history, name)
            if values is not None:
                epochs = np.arange(1, len(values) + 1)
                label = "validation" if name.startswith("val_") else "train"
                ax.plot(epochs, values, style, lw=1.6, label=label)
        if key == loss and np.nanmin(_series(history, loss)) > 0:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title)
        ax.grid(alpha=0.3)
        _mark_findings(ax, findings, top=key == loss)
        ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_lr_range(lr_test, path):
    """The learning-rate range test: loss against a growing learning rate.

    The figure is `recipes.find_learning_rate`'s own (`LRFinderResult.plot`:
    raw and smoothed loss, the suggested rates), so the run folder and a
    standalone range test draw the same picture.

    Args:
        lr_test: An `LRFinderResult`.
        path: PNG file to write.

    Returns:
        `path`.
    """
    return str(lr_test.plot(path))


def _per_layer(history, prefix):
    keys = [k for k in history if k.startswith(prefix + "/")]
    return {k.split("/", 1)[1]: _series(history, k) for k in keys}


def plot_layer_health(history, path):
    """Dead-unit fraction and update/weight ratio per layer over epochs.

    Reads the Babysitter's `dead_fraction/<layer>` and `update_ratio/<layer>`
    keys. The update ratio panel is on a log scale with the lecture's healthy
    ~1e-3 drawn as a line and a band (1e-4 to 1e-2).

    Args:
        history: `History.history`-like dict.
        path: PNG file to write.

    Returns:
        `path`.
    """
    from matplotlib.ticker import MaxNLocator

    fig = _figure(10.4, 3.8)
    ax_dead, ax_ratio = fig.subplots(1, 2)
    for ax, prefix in ((ax_dead, "dead_fraction"), (ax_ratio, "update_ratio")):
        series = _per_layer(history, prefix)
        for name, values in series.items():
            ax.plot(
                np.arange(1, len(values) + 1), values, marker=".", lw=1.3, label=name
            )
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
        elif len(series) <= 10:
            ax.legend(fontsize=7, loc="best", ncol=2 if len(series) > 5 else 1)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    ax_dead.set_title("dead units (never active on the probe)")
    ax_dead.set_ylabel("fraction of units")
    ax_dead.set_ylim(-0.02, 1.02)
    ax_ratio.set_yscale("log")
    ax_ratio.axhspan(*_BAND, color="#55a868", alpha=0.15, label="healthy band")
    ax_ratio.axhline(1e-3, color="#55a868", lw=1)
    ax_ratio.set_title("update / weight ratio (healthy ~1e-3)")
    ax_ratio.set_ylabel("||dW|| / ||W||")
    return _save(fig, path)


def _span(values):
    values = np.ravel(values if values is not None else [])
    values = values[np.isfinite(values)]
    lo, hi = np.percentile(values, [0.1, 99.9]) if values.size else (0.0, 1.0)
    return (lo - 1, hi + 1) if hi <= lo else (float(lo), float(hi))


def plot_activation_histograms(
    start, end, path, max_layers=6, title=None, labels=("start", "end")
):
    """Histograms of each layer's activations at the start and end of training.

    The lecture's figure: with a good initialization every layer keeps a
    similar spread; with a bad one they collapse to 0 or saturate.

    Args:
        start: `{layer_name: activations}` before training.
        end: `{layer_name: activations}` after training, or None.
        path: PNG file to write.
        max_layers: Most layers drawn (evenly spaced). Defaults to `6`.
        title: Figure title. Defaults to `None`.
        labels: Names of the two rows. Defaults to `("start", "end")`.

    Returns:
        `path`.
    """
    from matplotlib.ticker import MaxNLocator

    names = list(start)
    if len(names) > max_layers:
        idx = np.unique(np.linspace(0, len(names) - 1, max_layers).round().astype(int))
        names = [names[i] for i in idx]
    rows = [(labels[0], start)] + ([(labels[1], end)] if end else [])
    fig = _figure(max(2.3 * len(names), 4.6), 2.2 * len(rows) + (0.4 if title else 0))
    axes = fig.subplots(len(rows), len(names), squeeze=False)

    # One x range per row, shared by its layers: a spread that shrinks (or
    # explodes) from layer to layer is then visible, as in the lecture.
    spans = [
        _span(np.concatenate([np.ravel(d[n]) for n in names if n in d]))
        for _, d in rows
    ]
    for c, name in enumerate(names):
        for r, (when, data) in enumerate(rows):
            ax = axes[r][c]
            lo, hi = spans[r]
            values = np.ravel(data.get(name, []))
            values = values[np.isfinite(values)]  # a blown-up run has inf/NaN
            if values.size:
                zeros = float(np.mean(values == 0))
                # A ReLU layer's spike at exactly 0 would flatten the rest.
                shown = values[values != 0] if zeros > 0.2 else values
                color = "#4c72b0" if r == 0 else "#dd8452"
                ax.hist(shown, bins=40, range=(lo, hi), color=color)
                text = f"mean {values.mean():.3g}\nstd {values.std():.3g}"
                if zeros > 0.2:
                    text += f"\nzeros {zeros:.0%}\n(not drawn)"
                ax.text(0.97, 0.95, text, transform=ax.transAxes, **_CORNER)
            ax.set_yticks([])
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
            if r == 0:
                ax.set_title(name, fontsize=9)
            if c == 0:
                ax.set_ylabel(when, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def plot_confusion_matrix(matrix, class_names, path):
    """The confusion matrix: true class in rows, predicted in columns.

    Args:
        matrix: Square list/array of counts.
        class_names: One name per class.
        path: PNG file to write.

    Returns:
        `path`.
    """
    cm = np.asarray(matrix)
    n = len(cm)
    side = min(max(3.6, 0.45 * n + 2.2), 10)
    fig = _figure(side + 0.8, side)
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    if n <= 30:
        cut = cm.max() / 2 if cm.size else 0
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    str(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8 if n <= 12 else 6,
                    color="white" if cm[i, j] > cut else "black",
                )
    short = [str(c)[:12] for c in class_names]
    ax.set_xticks(
        range(n),
        short,
        rotation=45 if max(map(len, short)) > 3 else 0,
        ha="right" if max(map(len, short)) > 3 else "center",
        fontsize=8,
    )
    ax.set_yticks(range(n), short, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    accuracy = np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(f"confusion matrix (test accuracy {accuracy:.3f})")
    return _save(fig, path)


def plot_search_scatter(search, path):
    """Random-search trials: the score against each searched hyperparameter.

    The figure is `recipes.tune`'s own (`TuneResult.plot`), so the run
    folder and a standalone search draw the same picture.

    Args:
        search: A `TuneResult` from `recipes.tune`.
        path: PNG file to write.

    Returns:
        `path`.
    """
    return str(search.plot(path))


def plot_regression(y_true, y_pred, path, *, target="target"):
    """Regression on the test split: predicted against actual, and residuals.

    Args:
        y_true: The test targets.
        y_pred: The model's predictions, in the target's units.
        path: PNG file to write.
        target: The target's name for the axes. Defaults to `"target"`.

    Returns:
        `path`.
    """
    y_true = np.asarray(y_true, "float64").reshape(-1)
    y_pred = np.asarray(y_pred, "float64").reshape(len(y_true), -1)[:, 0]
    fig = _figure(10.4, 4.0)
    left, right = fig.subplots(1, 2)
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    left.scatter(y_true, y_pred, s=12, alpha=0.6)
    left.plot([low, high], [low, high], "k--", lw=1, label="perfect")
    left.set_xlabel(f"actual {target}")
    left.set_ylabel(f"predicted {target}")
    left.set_title("predicted against actual (test split)")
    left.legend(loc="best", fontsize=8)
    right.scatter(y_pred, y_true - y_pred, s=12, alpha=0.6)
    right.axhline(0, color="k", lw=1, ls="--")
    right.set_xlabel(f"predicted {target}")
    right.set_ylabel("residual (actual - predicted)")
    right.set_title("residuals")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return _save(fig, path)
