"""The run's figures are objects: returned, written only when asked, and each
one shows what the issue asked of it."""

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from callbacks import Finding
from recipes.checks.lr_finder import LRFinderResult
from recipes.run import plots


def _history(epochs=12):
    loss = list(np.geomspace(2.0, 0.004, epochs))  # more than a decade
    val = [1.0 / (1 + i) + 0.01 * max(0, i - 6) ** 2 for i in range(epochs)]
    rates = [1e-2] * 5 + [3e-3] * 4 + [9e-4] * (epochs - 9)
    return {
        "loss": [v + 0.05 for v in loss],
        "data_loss": loss,
        "val_loss": [v + 0.05 for v in val],
        "val_data_loss": val,
        "accuracy": list(np.linspace(0.5, 1.0, epochs)),
        "val_accuracy": list(np.linspace(0.5, 0.9, epochs)),
        "learning_rate": rates,
        "update_ratio/dense_0": list(np.geomspace(1e-2, 1e-4, epochs)),
        "update_ratio/dense_1": list(np.geomspace(5e-3, 5e-5, epochs)),
        "dead_fraction/relu_0": [0.0] * epochs,
        "dead_fraction/relu_1": [0.0] * epochs,
    }


def _lr_result():
    lrs = np.geomspace(1e-5, 1.0, 60)
    smoothed = 2.3 - 1.5 / (1 + np.exp(-4 * (np.log10(lrs) + 2.5)))
    smoothed[-8:] += np.linspace(0.2, 3.0, 8)
    return LRFinderResult(
        learning_rates=lrs,
        losses=smoothed + 0.05,
        smoothed_losses=smoothed,
        suggested_learning_rate=3e-3,
        suggestions={
            "minimum": 9e-3,
            "steepest": 3e-3,
            "steepest_capped": 3e-3,  # the same rate as steepest
            "valley": 4e-4,
        },
        rule="steepest",
        stop_reason="diverged",
    )


def _legend(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def _vertical_lines(ax):
    return [
        line
        for line in ax.get_lines()
        if len(set(np.atleast_1d(line.get_xdata()))) == 1
        and len(np.atleast_1d(line.get_xdata())) == 2
    ]


def _every_figure(tmp_path):
    history = _history()
    acts = {"relu_0": np.random.default_rng(0).normal(1, 2, 500)}
    end = {"relu_0": np.random.default_rng(1).normal(0, 0.1, 500)}
    return {
        "curves": lambda p: plots.plot_curves(history, [], path=p),
        "lr": lambda p: plots.plot_lr_range(_lr_result(), path=p),
        "health": lambda p: plots.plot_layer_health(history, path=p),
        "acts": lambda p: plots.plot_activation_histograms(acts, end, path=p),
        "cm": lambda p: plots.plot_confusion_matrix([[5, 1], [2, 8]], "ab", path=p),
        "roc": lambda p: plots.plot_roc_pr(
            [0, 1, 0, 1, 1], [0.1, 0.8, 0.4, 0.3, 0.9], p
        ),
        "reg": lambda p: plots.plot_regression([1.0, 2, 3], [1.1, 2.2, 2.7], p),
    }


def test_figures_are_returned_written_only_when_asked_backend_untouched(tmp_path):
    before = matplotlib.get_backend()
    matplotlib.use("svg")  # a notebook's inline backend, say: it must stay
    try:
        for name, draw in _every_figure(tmp_path).items():
            fig = draw(None)
            assert isinstance(fig, Figure), name
            assert matplotlib.get_backend() == "svg", name
            path = tmp_path / f"{name}.png"
            assert isinstance(draw(str(path)), Figure)
            assert path.read_bytes()[:4] == b"\x89PNG", name
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            f"{n}.png" for n in _every_figure(tmp_path)
        )
    finally:
        matplotlib.use(before)


def test_curves_mark_best_epoch_lr_cuts_and_findings_in_the_legend():
    findings = [
        Finding("overfitting", "warning", epoch=8, message="m"),
        Finding("loss_plateau", "warning", epoch=8, message="m"),
        Finding("oscillating_loss", "warning", epoch=9, message="m"),
        Finding("initial_loss", "info", epoch=None, message="m"),
    ]
    fig = plots.plot_curves(_history(), findings)
    loss_ax = fig.axes[0]
    assert loss_ax.get_title().startswith("data loss")
    labels = _legend(loss_ax)
    best = int(np.argmin(_history()["val_loss"])) + 1
    assert f"best epoch {best} (weights kept)" in labels
    assert any(
        t.startswith("learning rate cuts: 0.01 -> 0.0009 (ReduceLROnPlateau)")
        for t in labels
    ), labels
    warning = [t for t in labels if t.startswith("warning:")]
    assert warning == [
        "warning: loss_plateau, oscillating_loss, overfitting (epoch 9, 10)"
    ]
    assert not loss_ax.texts  # no labels printed over the curves
    # the log axis (4 decades) has several distinct, readable tick labels
    assert loss_ax.get_yscale() == "log"
    fig.canvas.draw()
    low, high = loss_ax.get_ylim()
    ticks = [
        t.get_text()
        for t, v in zip(loss_ax.get_yticklabels(), loss_ax.get_yticks())
        if low <= v <= high
    ]
    assert len(ticks) >= 4 and len(set(ticks)) == len(ticks), ticks
    # EarlyStopping keeps the lowest val_loss (with the penalty), which can
    # differ from the lowest validation data loss drawn: the label says so
    moved = dict(_history(), val_loss=[1.0, 0.5, 0.9], val_data_loss=[0.9, 0.4, 0.3])
    moved = {k: v[:3] for k, v in moved.items()}
    labels = _legend(plots.plot_curves(moved).axes[0])
    assert "best epoch 2 (lowest val_loss, L2 included; kept)" in labels
    # less than a decade: linear
    flat = plots.plot_curves({"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.8]})
    assert flat.axes[0].get_yscale() == "linear"


def test_lr_range_one_line_no_invisible_duplicates():
    fig = plots.plot_lr_range(_lr_result())
    ax = fig.axes[0]
    labels = _legend(ax)
    assert len(labels) <= 5, labels
    assert "used: steepest = steepest_capped, rate 0.003" in labels
    assert len(_vertical_lines(ax)) == 1  # only the rate used
    other = next(t for t in labels if t.startswith("other rules:"))
    assert "steepest_capped" not in other and "valley 0.0004" in other
    lowest = next(t for t in labels if t.startswith("lowest smoothed loss"))
    assert "at rate" in lowest  # a learning rate, said so


def test_layer_health_hides_an_empty_dead_unit_panel_and_names_lr_cuts():
    history = _history()
    fig = plots.plot_layer_health(history)
    assert len(fig.axes) == 1
    assert "update / weight ratio" in fig.axes[0].get_title()
    assert "learning rate cut (ReduceLROnPlateau)" in _legend(fig.axes[0])
    assert len(_vertical_lines(fig.axes[0])) == 2  # two cuts
    history["dead_fraction/relu_1"] = [0.0] * 6 + [0.3] * 6
    fig = plots.plot_layer_health(history)
    assert [a.get_title().split(" ")[0] for a in fig.axes] == ["update", "dead"]


def test_activation_histograms_share_one_x_range_and_count_on_y():
    rng = np.random.default_rng(0)
    start = {"relu_0": rng.normal(0, 3, 1000), "relu_1": rng.normal(0, 1, 1000)}
    end = {"relu_0": rng.normal(0, 0.2, 1000), "relu_1": rng.normal(0, 0.1, 1000)}
    fig = plots.plot_activation_histograms(start, end)
    assert len(fig.axes) == 4
    assert len({a.get_xlim() for a in fig.axes}) == 1
    for ax in fig.axes:
        assert len(ax.get_yticks()) >= 2


def test_confusion_matrix_counts_and_recall_from_zero():
    fig = plots.plot_confusion_matrix([[90, 10], [1, 1]], ["common", "rare"])
    images = [a.images[0] for a in fig.axes if a.images]
    assert len(images) == 2
    counts, recall = (np.asarray(im.get_array()) for im in images)
    assert counts.tolist() == [[90, 10], [1, 1]]
    assert np.allclose(recall.sum(axis=1), 1) and recall[1, 1] == 0.5
    assert all(im.get_clim()[0] == 0 for im in images)
    assert "balanced accuracy (mean recall) 0.700" in fig.get_suptitle()


def test_roc_pr_reports_sklearn_auc():
    from sklearn.metrics import roc_auc_score

    y = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.7])
    fig = plots.plot_roc_pr(y, p, positive="malignant")
    roc, pr = fig.axes
    assert f"network, AUC {roc_auc_score(y, p):.3f}" in _legend(roc)
    assert "malignant" in roc.get_title() and "precision" in pr.get_ylabel()


def test_babysit_result_plot_returns_the_curves(tmp_path):
    from recipes.run.babysit import BabysitResult

    result = BabysitResult(model=None, history=_history(), findings=[], metrics={})
    fig = result.plot()
    assert isinstance(fig, Figure) and fig.axes[0].get_title().startswith("data")
    assert list(tmp_path.iterdir()) == []


def test_dead_units_are_drawn_through_the_epochs_the_probe_checked():
    # The probe checks skip epochs (NaN there): the line joins the checked ones.
    history = _history()
    nan = float("nan")
    checked = {0, 1, 3, 7, 11}
    history["dead_fraction/relu_1"] = [0.3 if e in checked else nan for e in range(12)]
    fig = plots.plot_layer_health(history)
    dead = next(a for a in fig.axes if a.get_title().startswith("dead"))
    line = next(ln for ln in dead.get_lines() if ln.get_label() == "relu_1")
    assert list(line.get_xdata()) == [e + 1 for e in sorted(checked)]
    assert np.isfinite(line.get_ydata()).all()
