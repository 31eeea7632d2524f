"""The test split's figures (private; public through `recipes.run.plots`).

The confusion matrix (counts and the row-normalized recall view), ROC and
precision-recall curves for a binary task, and predicted-against-actual for
regression; plus the figure helpers every plot of the run shares.
"""

from __future__ import annotations

import numpy as np

COLORS = {"info": "#4c72b0", "warning": "#dd8452", "error": "#c44e52"}


def figure(width, height):
    """A bare `Figure` (no pyplot: the global backend is left alone)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def finish(fig, path):
    """Writes `fig` to `path` when one is given; returns `fig`."""
    if path is not None:
        fig.savefig(path)
    return fig


def _matrix_panel(fig, ax, values, text, title, vmax):
    n = len(values)
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=vmax)
    fig.colorbar(image, ax=ax, shrink=0.8)
    if n <= 30:
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    text(i, j),
                    ha="center",
                    va="center",
                    fontsize=8 if n <= 12 else 6,
                    color="white" if values[i, j] > vmax / 2 else "black",
                )
    ax.set_title(title, fontsize=10)


def plot_confusion_matrix(matrix, class_names, path=None):
    """The confusion matrix: counts, and each true class's row as recall.

    Left, the counts; right, every row divided by its class's size, so the
    diagonal is each class's recall and a rare class weighs as much as a
    common one. Both colour bars start at 0.

    Args:
        matrix: Square list/array of counts, true class in rows.
        class_names: One name per class.
        path: PNG file to write, or `None`. Defaults to `None`.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    cm = np.asarray(matrix)
    n = len(cm)
    rows = cm.sum(axis=1, keepdims=True)
    recall = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    side = min(max(3.4, 0.42 * n + 2.0), 9)
    fig = figure(2 * side + 1.2, side)
    left, right = fig.subplots(1, 2)
    _matrix_panel(
        fig,
        left,
        cm,
        lambda i, j: str(cm[i, j]),
        "counts",
        max(int(cm.max()) if cm.size else 1, 1),
    )
    _matrix_panel(
        fig,
        right,
        recall,
        lambda i, j: f"{recall[i, j]:.2f}".lstrip("0") if cm[i, j] else "0",
        "share of each true class (diagonal: recall)",
        1.0,
    )
    short = [str(c)[:12] for c in class_names]
    wide = max(map(len, short)) > 3
    for ax in (left, right):
        ax.set_xticks(
            range(n),
            short,
            rotation=45 if wide else 0,
            ha="right" if wide else "center",
            fontsize=8,
        )
        ax.set_yticks(range(n), short, fontsize=8)
        ax.set_xlabel("predicted class")
    left.set_ylabel("true class")
    accuracy = np.trace(cm) / max(cm.sum(), 1)
    balanced = float(np.mean(np.diag(recall)[rows[:, 0] > 0])) if n else 0.0
    fig.suptitle(
        f"test split: accuracy {accuracy:.3f}, balanced accuracy (mean recall) "
        f"{balanced:.3f}",
        fontsize=10,
    )
    return finish(fig, path)


def plot_roc_pr(y_true, scores, path=None, *, positive="1"):
    """ROC and precision-recall curves of a binary classifier on the test split.

    Args:
        y_true: The test labels, 0 or 1.
        scores: The predicted probability of class 1, one per example.
        path: PNG file to write, or `None`. Defaults to `None`.
        positive: The name of class 1 for the titles. Defaults to `"1"`.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    from sklearn.metrics import (
        average_precision_score,
        precision_recall_curve,
        roc_auc_score,
        roc_curve,
    )

    y_true = np.asarray(y_true).reshape(-1).astype(int)
    scores = np.asarray(scores, "float64").reshape(-1)
    fig = figure(10.4, 4.2)
    left, right = fig.subplots(1, 2)
    fpr, tpr, _ = roc_curve(y_true, scores)
    left.plot(
        fpr, tpr, lw=1.8, label=f"network, AUC {roc_auc_score(y_true, scores):.3f}"
    )
    left.plot([0, 1], [0, 1], "k--", lw=1, label="chance, AUC 0.5")
    left.set_xlabel("false positive rate")
    left.set_ylabel("true positive rate (recall)")
    left.set_title(f"ROC (positive class: {positive})", fontsize=10)
    precision, recall, _ = precision_recall_curve(y_true, scores)
    prior = float(y_true.mean())
    ap = average_precision_score(y_true, scores)
    right.plot(recall, precision, lw=1.8, label=f"network, average precision {ap:.3f}")
    right.axhline(prior, color="k", ls="--", lw=1, label=f"chance, {prior:.3f}")
    right.set_xlabel("recall")
    right.set_ylabel("precision")
    right.set_title(f"precision-recall (positive class: {positive})", fontsize=10)
    for ax in (left, right):
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if ax is left else "lower left", fontsize=8)
    return finish(fig, path)


def plot_regression(y_true, y_pred, path=None, *, target="target"):
    """Regression on the test split: predicted against actual, and residuals.

    Args:
        y_true: The test targets.
        y_pred: The model's predictions, in the target's units.
        path: PNG file to write, or `None`. Defaults to `None`.
        target: The target's name for the axes. Defaults to `"target"`.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    y_true = np.asarray(y_true, "float64").reshape(-1)
    y_pred = np.asarray(y_pred, "float64").reshape(len(y_true), -1)[:, 0]
    fig = figure(10.4, 4.0)
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
    return finish(fig, path)
