"""The activation histograms at the start and end of training (private).

Re-exported by `recipes.run.plots`, whose conventions it follows: a bare
`Figure`, a PNG only when given `path`, matplotlib imported inside.
"""

from __future__ import annotations

import numpy as np

from recipes.run._plot_evaluation import figure, finish

_CORNER = dict(ha="right", va="top", fontsize=7)


def _span(values):
    values = np.ravel(values if values is not None else [])
    values = values[np.isfinite(values)]
    lo, hi = np.percentile(values, [0.1, 99.9]) if values.size else (0.0, 1.0)
    return (lo - 1, hi + 1) if hi <= lo else (float(lo), float(hi))


def plot_activation_histograms(
    start, end=None, path=None, max_layers=6, title=None, labels=("start", "end")
):
    """Histograms of each layer's activations at the start and end of training.

    The lecture's figure: with a good initialization every layer keeps a
    similar spread; with a bad one they collapse to 0 or saturate. Every
    panel shares one x range (start and end, every layer), so a spread that
    shrinks or grows from layer to layer, or during training, shows as such;
    the y axis counts values per bin.

    Args:
        start: `{layer_name: activations}` before training.
        end: `{layer_name: activations}` after training, or None. Defaults to
            `None`.
        path: PNG file to write, or `None`. Defaults to `None`.
        max_layers: Most layers drawn (evenly spaced). Defaults to `6`.
        title: Figure title. Defaults to `None`.
        labels: Names of the two rows. Defaults to `("start", "end")`.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    from matplotlib.ticker import MaxNLocator

    names = list(start)
    if len(names) > max_layers:
        idx = np.unique(np.linspace(0, len(names) - 1, max_layers).round().astype(int))
        names = [names[i] for i in idx]
    rows = [(labels[0], start)] + ([(labels[1], end)] if end else [])
    fig = figure(max(2.4 * len(names), 4.8), 2.3 * len(rows) + (0.4 if title else 0))
    axes = fig.subplots(len(rows), len(names), squeeze=False)
    lo, hi = _span(
        np.concatenate([np.ravel(d[n]) for _, d in rows for n in names if n in d])
    )
    for c, name in enumerate(names):
        for r, (when, data) in enumerate(rows):
            ax = axes[r][c]
            values = np.ravel(data.get(name, []))
            values = values[np.isfinite(values)]  # a blown-up run has inf/NaN
            if values.size:
                zeros = float(np.mean(values == 0))
                # A ReLU layer's spike at exactly 0 would flatten the rest.
                shown = values[values != 0] if zeros > 0.2 else values
                color = "#4c72b0" if r == 0 else "#dd8452"
                ax.hist(np.clip(shown, lo, hi), bins=40, range=(lo, hi), color=color)
                text = f"mean {values.mean():.3g}\nstd {values.std():.3g}"
                if zeros > 0.2:
                    share = f"{zeros:.1%}" if 0.99 < zeros < 1 else f"{zeros:.0%}"
                    text += f"\nzeros {share}\n(not drawn)"
                ax.text(0.97, 0.95, text, transform=ax.transAxes, **_CORNER)
            ax.set_xlim(lo, hi)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.yaxis.set_major_locator(MaxNLocator(3, integer=True))
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
            if r == 0:
                ax.set_title(name, fontsize=9)
            if c == 0:
                ax.set_ylabel(f"{when}\n(count)", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return finish(fig, path)
