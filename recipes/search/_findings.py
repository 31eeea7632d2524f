"""The findings of a finished search (private to `TuneResult`).

Example:

>>> from recipes.search._findings import too_big
>>> from recipes.search.space import Spec
>>> too_big("units", "high", Spec("units", "int", 8, 1024, "log"), n_rows=178)
True
"""

from __future__ import annotations

from callbacks import Finding
from recipes.search import narrowing as _narrowing


def _stopped(rows):
    """A `trial_stopped` finding per trial the Babysitter stopped, at the
    last epoch the trial ran (`Finding.epoch` counts from 0: a trial stopped
    after its first epoch reads "epoch 1")."""
    return [
        Finding(
            "trial_stopped",
            "info",
            epoch=row["epochs"] - 1 if row["epochs"] else None,
            message=f"Stage {row['stage']} trial {row['trial_id']} "
            f"stopped after {row['epochs']} epoch(s): {row['reason']}",
            suggestion="",
        )
        for row in rows
        if row["status"] == "stopped_early"
    ]


def edge_won(result, name, side, spec):
    """True when the best trial beats every trial whose `name` is not at
    that edge: a win by a tie (on wine, 8 of 10 trials at accuracy 1.0,
    the defaults first) says nothing about the edge."""
    best = result._best_row()
    key = result._rank(best)[:2]
    for row in result._rows:
        if row is best or row.get(name) is None:
            continue
        at = list(_narrowing.edge_positions({name: spec}, {name: row[name]}))
        if (not at or at[0][1] != side) and result._rank(row)[:2] <= key:
            return False
    return True


def too_big(name, side, spec, n_rows):
    """True when widening a size upward would ask for more units (or
    filters) than there are training rows (1024 units for 178 rows)."""
    if side != "high" or name not in ("units", "filters") or not n_rows:
        return False
    return 2 * spec.high > n_rows


def _edge(name, side, spec, value):
    bound = spec.low if side == "low" else spec.high
    way = "downward (lower the minimum)"
    if side == "high":
        way = "upward (raise the maximum)"
    return Finding(
        "search_range_edge",
        "warning",
        value=float(value),
        threshold=float(bound),
        message=f"The best {name}={value:.4g} sits in the "
        f"{'lowest' if side == 'low' else 'highest'} tenth of its "
        f"{spec.sampling} range [{spec.low:g}, {spec.high:g}] and beat "
        "every trial away from it; the optimum may lie outside it.",
        suggestion=f"Widen {name} {way} and search again.",
    )


def search_findings(result):
    """Trials the Babysitter stopped (info), cross-validation chosen for a
    small validation set (info) and ranges whose best value sits at an edge
    and won there (warning) of a `TuneResult`."""
    out = _stopped(result._rows)
    if result.role == "worker" or not result._rows:
        return out
    try:
        best = result.best_hyperparameters
    except ValueError:
        return out
    out += [
        Finding(
            "search_cv_default",
            "info",
            message=note,
            suggestion="Pass cv=None to rank trials on the one validation "
            "set, or cv=K for K folds.",
        )
        for note in result._notes
    ]
    for name, side, spec, value in _narrowing.edge_positions(result._specs[0], best):
        if edge_won(result, name, side, spec) and not too_big(
            name, side, spec, result._n_rows
        ):
            out.append(_edge(name, side, spec, value))
    return out
