"""`TuneResult.plot`: the objective against every searched hyperparameter."""

from __future__ import annotations

import math


def _searched(result):
    """Names any stage searched (not fixed), in the space's order."""
    names = []
    for stage in result._specs:
        for name, spec in stage.items():
            if spec.kind != "fixed" and name not in names:
                names.append(name)
    return names


def plot_trials(result, path=None):
    """Small multiples, one panel per searched hyperparameter.

    Returns the `matplotlib.figure.Figure` (writes a PNG only when `path` is
    given; the global matplotlib backend is left alone).
    """
    from matplotlib import colormaps
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import NullFormatter

    name = result.objective.name
    names = _searched(result) or ["learning_rate"]
    specs = result._specs[0]
    rows = [r for r in result._rows if r[name] is not None and math.isfinite(r[name])]
    ok = [r for r in rows if r["status"] == "completed"]
    bad = [r for r in rows if r["status"] != "completed"]
    try:
        best = result._best_row()
    except ValueError:
        best = None
    cols = min(4, len(names))
    nrows = math.ceil(len(names) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.8 * nrows))
    axes = fig.subplots(nrows, cols, squeeze=False, sharey=True)
    stages = sorted({r["stage"] for r in rows}) or [0]
    cmap = colormaps["viridis"].resampled(max(2, len(stages)))
    for ax, hp in zip(axes.flat, names):
        spec = specs.get(hp)

        def xs(group, hp=hp):
            return [float(r[hp]) if r.get(hp) is not None else math.nan for r in group]

        for i, stage in enumerate(stages):
            group = [r for r in ok if r["stage"] == stage]
            if group:
                ax.scatter(
                    xs(group),
                    [r[name] for r in group],
                    s=18,
                    color=cmap(i),
                    label=f"stage {stage}",
                )
        if bad:
            ax.scatter(xs(bad), [r[name] for r in bad], marker="x", c="gray", s=18)
        if best is not None and best.get(hp) is not None:
            ax.scatter(
                [float(best[hp])],
                [best[name]],
                marker="*",
                s=160,
                c="red",
                edgecolors="black",
                zorder=5,
                label="best",
            )
        if spec is not None and spec.kind == "choice":
            values = [float(v) for v in spec.values]
            ax.set_xticks(values, [str(v) for v in spec.values])
        elif spec is not None and spec.kind == "int" and spec.high - spec.low <= 8:
            ax.set_xticks(range(int(spec.low), int(spec.high) + 1))
        elif spec is not None and spec.sampling == "log":
            ax.set_xscale("log")
            if spec.kind == "int":  # the range's ends and middle, plain numbers
                mid = round(math.sqrt(spec.low * spec.high))
                ticks = sorted({int(spec.low), int(mid), int(spec.high)})
                ax.set_xticks(ticks, [str(t) for t in ticks])
                ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(hp)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(names) :]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(name)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if bad:
        handles.append(Line2D([], [], marker="x", color="gray", ls=""))
        labels.append("stopped / failed")
    fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle(f"Random search: {name} against each hyperparameter (star: best)")
    fig.tight_layout(rect=(0, 0, 0.9, 0.95))
    if path is not None:
        fig.savefig(path, dpi=90)
    return fig
