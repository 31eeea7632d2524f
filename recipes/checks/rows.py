"""Pre-flight checks that count rows: how the classes are balanced, and how
many held-out rows the training data already holds beyond what its own
repetition explains. Each takes the shared context and returns Findings.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from callbacks import Finding
from callbacks.heads import is_multi_hot

# A held-out share a quarter of the held-out rows above training's own
# repetition rate is a leak that moves a score (a warning: a model that
# memorized training scores those rows as seen ones); a smaller but
# significant excess is info. Significance: a one-sided binomial test.
_LEAK_EXCESS = 0.25
_SIGNIFICANCE = 1e-3


def class_imbalance(ctx, ratio=5.0):
    y, kind = ctx.y.reshape(len(ctx.y), -1), ctx.kind
    if kind not in ("sparse", "one_hot") and (kind, ctx.units) != ("binary", 1):
        return []
    if kind == "one_hot" and is_multi_hot(y):  # labels, not one class per row
        return []
    ids = (
        y.argmax(1)
        if kind == "one_hot"
        else y[:, 0] > 0.5
        if kind == "binary"
        else y[:, 0]
    )
    counts = np.bincount(ids.astype(int).clip(0))
    counts = counts[counts > 0]
    if len(counts) < 2 or counts.max() / counts.min() <= ratio:
        return []
    worst = float(counts.max() / counts.min())
    return [
        Finding(
            "class_imbalance",
            "info",
            value=worst,
            threshold=ratio,
            message=f"The largest class has {worst:.1f}x the examples of the "
            f"smallest ({counts.max()} vs {counts.min()}); accuracy will hide "
            "how the rare classes do.",
            suggestion="Pass class_weight to fit (sklearn's compute_class_weight), "
            "resample, and judge with balanced accuracy or per-class recall.",
        )
    ]


def repetition(x, held):
    """How often rows repeat: in training on its own, and across the split.

    The statistic behind `train_test_overlap`. Under a random split of one
    table, a row has a twin in the training split (another row with the same
    values) with the same probability whether the row itself went to
    training or was held out: for a row with `k - 1` twins in the table,
    `1 - (1 - f) ** (k - 1)` with `f` the training fraction, either way. So
    the share of held-out rows found in training (`held_share`) estimates the
    same number as the share of training rows that have a twin elsewhere in
    training (`train_share`): a table with few distinct rows (counts, flags)
    shows both high and equal; a leaked split (held-out rows copied from
    training, a split made after oversampling or augmentation) shows
    `held_share` far above `train_share`.

    Args:
        x: Training inputs, one row per example.
        held: Held-out inputs shaped like `x`.

    Returns:
        `(train_share, held_share, found)`: the two shares and how many
        held-out rows occur in training.
    """
    counts = collections.Counter(r.tobytes() for r in _rows(x))
    twins = sum(c for c in counts.values() if c > 1)
    found = sum(r.tobytes() in counts for r in _rows(held))
    return twins / len(x), found / len(held), found


def _tail(k, n, p):
    """P(X >= k) for X ~ Binomial(n, p), summed in log space."""
    if p <= 0 or p >= 1:
        return float(p >= 1 or k <= 0)
    i = np.arange(k, n + 1)
    log_comb = math.lgamma(n + 1) - np.array([math.lgamma(j + 1) for j in i])
    log_comb -= np.array([math.lgamma(n - j + 1) for j in i])
    return float(np.exp(log_comb + i * math.log(p) + (n - i) * math.log1p(-p)).sum())


def _rows(x):
    return np.ascontiguousarray(np.asarray(x, "float32").reshape(len(x), -1))


def train_test_overlap(ctx):
    """Held-out rows that training holds, against training's own repetition.

    A finding when the held-out share found in training is significantly
    above the share of training rows with a twin in training (one-sided
    binomial test at `_SIGNIFICANCE`, the training share as the null rate):
    a warning when the excess is at least `_LEAK_EXCESS` of the held-out rows,
    info when smaller. A table whose rows repeat by nature gives no finding.
    """
    out = []
    for name, other in ctx.held_out:
        base, share, same = repetition(ctx.x, other)
        n = len(other)
        if not same or share <= base or _tail(same, n, base) >= _SIGNIFICANCE:
            continue
        out.append(
            Finding(
                "train_test_overlap",
                "warning" if share - base >= _LEAK_EXCESS else "info",
                value=share,
                threshold=base,
                message=f"{same} of {n} rows of the {name} data ({share:.0%}) also "
                f"occur in the training data, while only {base:.0%} of training "
                "rows repeat within the training data: its score overstates how "
                "the model does on new examples.",
                suggestion="Deduplicate before splitting (e.g. np.unique on rows), "
                "split before oversampling or augmenting, or split by group with "
                "sklearn's GroupShuffleSplit.",
            )
        )
    return out


# Held-out inputs whose typical feature sits this many training stds off the
# training mean, or spreads this many times more (or less), were not put
# through the training data's preprocessing: a drift between splits moves a
# few features, not the median one. On the diagnosis suite's data (seed 0),
# the median shift is at most 0.09 on the 61 programs' splits but for the one
# whose validation inputs skipped the scaler (wine, raw: 2.36).
_SHIFT_STDS = 1.0
_SPREAD_RATIO = 4.0


def scale_shift(x, other):
    """`(shift, spread)` of held-out inputs `other` against training `x`: the
    median over features of `|mean_other - mean_x| / std_x`, and the median
    of `std_other / std_x` (features constant in training left out; NaNs
    ignored). `(0.0, 1.0)` when nothing can be compared."""
    a = np.asarray(x, "float64").reshape(len(x), -1)
    b = np.asarray(other, "float64").reshape(len(other), -1)
    if len(a) < 2 or len(b) < 2 or a.shape[1] != b.shape[1]:
        return 0.0, 1.0
    with np.errstate(all="ignore"):
        mean_a, std_a = np.nanmean(a, 0), np.nanstd(a, 0)
        mean_b, std_b = np.nanmean(b, 0), np.nanstd(b, 0)
    live = np.isfinite(mean_a + mean_b + std_b) & (std_a > 1e-12)
    if not live.any():
        return 0.0, 1.0
    shift = np.abs(mean_b[live] - mean_a[live]) / std_a[live]
    spread = std_b[live] / std_a[live]
    return float(np.median(shift)), float(np.median(spread))


def shifted(shift, spread):
    """Whether `scale_shift`'s figures say another preprocessing."""
    return shift > _SHIFT_STDS or not 1 / _SPREAD_RATIO < spread < _SPREAD_RATIO


def held_out_scale(ctx):
    """Held-out inputs on another scale than the training inputs.

    A warning when the median feature of the validation (or test) inputs
    sits more than `_SHIFT_STDS` training standard deviations from its
    training mean, or spreads `_SPREAD_RATIO` times more or less: the
    preprocessing fitted on the training split was not applied to it (or
    was applied twice). A real drift between splits moves some features,
    not the median one.
    """
    out = []
    for name, other in ctx.held_out:
        if len(other) < 10:
            continue
        shift, spread = scale_shift(ctx.x, other)
        if not shifted(shift, spread):
            continue
        out.append(
            Finding(
                "held_out_scale",
                "warning",
                value=max(shift, spread, 1 / spread if spread > 0 else np.inf),
                threshold=_SHIFT_STDS,
                message=f"The {name} inputs are on another scale than the "
                f"training inputs: the median feature's mean is {shift:.3g} "
                f"training stds off and its std {spread:.3g}x training's. The "
                "preprocessing fitted on the training split was not applied to "
                f"the {name} data (or was applied twice), so its scores say "
                "nothing about the model.",
                suggestion="Apply the same fitted preprocessing to every split "
                "(scaler.fit(x_train), then scaler.transform(x_val)), or put it "
                "inside the model: keras.layers.Normalization adapted on x_train.",
            )
        )
    return out
