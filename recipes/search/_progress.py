"""What `tune(verbose=1)` prints: one line a trial, the top 5 at the end."""

from __future__ import annotations

_SHORT = {
    "learning_rate": "lr",
    "batch_size": "batch",
    "batch_norm": "bn",
    "dropout": "drop",
}


def _value(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def values_text(values, names):
    """`lr 0.00123 l2 1e-05 units 512 ...` for the searched (non-fixed) names."""
    return " ".join(f"{_SHORT.get(n, n)} {_value(values[n])}" for n in names)


def searched(specs):
    """The names a stage really searches (fixed values say nothing per trial)."""
    return [n for n, s in specs.items() if s.kind != "fixed"]


def trial_line(stage, trial, specs, objective_name, metrics, stopped):
    """One line for a finished trial."""
    values = {n: specs[n].cast(v) for n, v in trial.hyperparameters.values.items()}
    names = [n for n in searched(specs) if n in values]
    epochs = int(metrics["epochs_run"])
    best = metrics["best_epoch"]
    end = f"stopped: {stopped.check}" if stopped is not None else "completed"
    return (
        f"[tune] stage {stage} trial {trial.trial_id} | {values_text(values, names)}"
        f" | {objective_name} {metrics[objective_name]:.4f} | {epochs} epochs "
        f"(best {best:.0f}) | {metrics['seconds']:.1f} s | {end}"
    )


def top_lines(result, k=5):
    """The best `k` trials of a `TuneResult`, best first, as text."""
    rows = result.sorted_rows()[:k]
    name = result.objective.name
    names = []
    for stage in result._specs:
        names += [n for n in searched(stage) if n not in names]
    out = [f"[tune] top {len(rows)} of {len(result.sorted_rows())} trials by {name}:"]
    for i, r in enumerate(rows, 1):
        score = "nan" if r[name] is None else f"{r[name]:.4f}"
        out.append(
            f"  {i}. stage {r['stage']} trial {r['trial_id']} | {name} {score} | "
            f"{values_text(r, [n for n in names if r.get(n) is not None])} | "
            f"{r['epochs']} epochs | {r['status']}"
        )
    return "\n".join(out)
