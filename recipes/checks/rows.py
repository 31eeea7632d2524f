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
