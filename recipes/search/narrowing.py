"""Coarse to fine: a stage's search space narrowed around the best trials
of the stage before, and the best values that sit at a range's edge.

Works on the `Spec`s of `_search_space`, in log terms for log ranges. Never
imports KerasTuner.
"""

from __future__ import annotations

import math

from recipes.search.space import LIMITS, Spec, is_number


def _t(v, sampling):
    return math.log(v) if sampling == "log" else float(v)


def _inv(t, sampling):
    return math.exp(t) if sampling == "log" else t


def narrow(specs, best_values, *, margin=0.1, min_width=0.1):
    """Narrows each range around the values of the best trials.

    Numeric ranges become `[min, max]` of the best trials' values, padded by
    `margin` of the old (log) width on each side, at least `min_width` of it
    wide, and never beyond the old range. Choices keep the values the best
    trials used (numeric choices: every value between their min and max).

    Args:
        specs: Dict name -> `Spec` of the stage before.
        best_values: List of dicts of hyperparameter values, best first.
        margin: Padding on each side, as a fraction of the old width.
        min_width: Smallest new width, as a fraction of the old width.

    Returns:
        A new dict name -> `Spec`.
    """
    out = {}
    for name, spec in specs.items():
        seen = [v[name] for v in best_values if name in v]
        if not seen or spec.kind == "fixed":
            out[name] = spec
            continue
        if spec.kind == "choice":
            if all(is_number(v) for v in spec.values):
                keep = tuple(v for v in spec.values if min(seen) <= v <= max(seen))
            else:
                keep = tuple(v for v in spec.values if v in seen)
            kind = "fixed" if len(keep) == 1 else "choice"
            out[name] = Spec(name, kind, values=keep)
            continue
        lo, hi = _t(spec.low, spec.sampling), _t(spec.high, spec.sampling)
        width = hi - lo
        ts = [_t(v, spec.sampling) for v in seen]
        new_lo, new_hi = min(ts) - margin * width, max(ts) + margin * width
        if new_hi - new_lo < min_width * width:
            mid = (new_lo + new_hi) / 2
            new_lo, new_hi = mid - min_width * width / 2, mid + min_width * width / 2
            shift = max(0.0, lo - new_lo) - max(0.0, new_hi - hi)
            new_lo, new_hi = new_lo + shift, new_hi + shift
        new_lo, new_hi = max(lo, new_lo), min(hi, new_hi)
        low, high = _inv(new_lo, spec.sampling), _inv(new_hi, spec.sampling)
        if spec.kind == "int":
            low = max(spec.low, int(round(low)))
            high = min(spec.high, int(round(high)))
            if low >= high:
                out[name] = Spec(name, "fixed", values=(int(low),))
                continue
        else:
            low, high = float(f"{low:.4g}"), float(f"{high:.4g}")
            low, high = max(low, spec.low), min(high, spec.high)
        out[name] = Spec(name, spec.kind, low, high, spec.sampling)
    return out


def edge_positions(specs, values, *, edge=0.1, min_int_values=10):
    """Yields `(name, side, spec, value)` for values in the outer `edge` of a range.

    A side at a hard limit (dropout 0, depth 1, ...) is skipped: it cannot be
    widened. Integer ranges with fewer than `min_int_values` values are
    skipped (every value of 1..3 is at an edge).
    """
    for name, spec in specs.items():
        if spec.kind not in ("float", "int") or name not in values:
            continue
        if spec.kind == "int" and spec.high - spec.low + 1 < min_int_values:
            continue
        lo, hi = _t(spec.low, spec.sampling), _t(spec.high, spec.sampling)
        pos = (_t(values[name], spec.sampling) - lo) / (hi - lo)
        limits = LIMITS.get(name)
        if pos <= edge and not (limits and spec.low <= limits[0]):
            yield name, "low", spec, values[name]
        elif pos >= 1 - edge and not (limits and spec.high >= limits[1]):
            yield name, "high", spec, values[name]
