"""Repair quality of `recipes.repair` on the diagnosis suite, against a fix and chance.

Per faulty program (`_diagnosis_faulty.py`, `_diagnosis_faulty_kinds.py`) and
seed, each run built afresh from `keras.utils.set_random_seed(seed)`:

- buggy: the program as written, trained to its budget;
- repaired: `recipes.repair` on the program's (untrained) model and data,
  with its epochs, batch size, validation data and fit arguments;
- fixed: the program with the change a careful developer makes
  (`_repair_fixed.py`), trained to its budget;
- IR = (repaired - buggy) / (fixed - buggy), undefined on a seed where the
  fixed variant is not 0.02 better than the buggy program;
- random: as many random-search trials as the repair retrained (learning
  rate log-uniform 1e-4..1e-1, SGD / SGD momentum 0.9 / Adam, batch size
  16..128, epochs x1 or x2, hidden activation relu or tanh where the model
  has one), on fresh clones; best-of = max(buggy, trials), and its IR.

Every figure is `_repair_runs.metric` on the program's validation data:
accuracy (classification, binary, multi-label), R^2 for regression, clipped
to [0, 1]. A program's noise is max(0.02, 2 x the standard deviation of its
buggy metric over the seeds); its repair improved beyond noise when the
median over seeds of (repaired - buggy) exceeds it. When the repair changed
the data (labels shifted, a target standardized), the code it printed for
that change is run on the program's validation data before its model is
scored. A program whose fixed variant does not beat the buggy run by 0.02
(median) is listed and left out of the IR, noise and random-search shares
(double_softmax on TensorFlow: Keras takes the loss from the softmax's own
logits, so that bug does not bite there). Healthy programs
(`_diagnosis_healthy.py`) get the repair only: it must change nothing and
retrain nothing.

Every finished (program, seed) row goes to `<out>_partial.json` at once
(under a lock, so processes given different `--only` lists can share it), and
a later run reuses the rows stored for the same mode unless `--fresh`: a long
run resumes, and split runs merge. The summary covers the selected programs
and seeds and goes to `--out` (default `benchmarks/results/repair.json`, or
`repair_only.json` with `--only`).

Usage:

    nice -n 10 python benchmarks/repair.py [--seeds 3 | --seeds 0,2]
        [--only a,b] [--no-healthy] [--no-faulty] [--no-repair
        [--random-trials 3]] [--fresh | --stored-only] [--out PATH]
        [--backend jax]

`--stored-only` trains nothing: it summarizes the rows already in the store
(a run cut short), each program over the seeds it has.

`--no-repair` runs buggy, fixed and `--random-trials` random trials only
(for the harness before `recipes.repair` exists; `--random-trials 0` gives
the buggy-vs-fixed check).
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _results import use_backend_argument  # noqa: E402

use_backend_argument()  # before Keras is imported: it fixes the backend

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import _diagnosis_data  # noqa: E402
import _diagnosis_healthy  # noqa: E402, F401  (importing registers the cases)
import _repair_runs as runs  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from _diagnosis_case import CASES  # noqa: E402
from _repair_fixed import FIXED, missing  # noqa: E402
from _results import locked, write_json  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
CLEAR = 0.02  # the fixed variant must beat the buggy program by this for an IR
NOISE_FLOOR = 0.02


def build(case_or_fix, seed):
    keras.utils.set_random_seed(seed)
    return case_or_fix.build(seed)


def faulty_row(case, seed, use_repair, random_trials):
    row = {"seed": seed}
    spec = build(case, seed)
    row["buggy"] = runs.train(spec)
    keras.backend.clear_session()
    row["fixed"] = runs.train(build(FIXED[case.name], seed))
    keras.backend.clear_session()
    if use_repair:
        row["repair"] = runs.run_repair(build(case, seed), seed)
        keras.backend.clear_session()
        random_trials = row["repair"].get("retrains", 0)
    row["random"] = runs.random_search(build(case, seed), seed, random_trials)
    return row


def healthy_row(case, seed):
    return {"seed": seed, "repair": runs.run_repair(build(case, seed), seed)}


def ir(repaired, buggy, fixed):
    if repaired is None or fixed - buggy < CLEAR:
        return None
    return (repaired - buggy) / (fixed - buggy)


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def program_summary(case, rows):
    buggy = [r["buggy"]["score"] for r in rows]
    fixed = [r["fixed"]["score"] for r in rows]
    rep = [r.get("repair", {}).get("score") for r in rows]
    rand = [
        max([r["buggy"]["score"]] + [t["score"] for t in r["random"]]) for r in rows
    ]
    noise = max(NOISE_FLOOR, 2 * float(np.std(buggy, ddof=1)) if len(rows) > 1 else 0)
    gains = [None if p is None else p - b for p, b in zip(rep, buggy)]
    out = {
        "name": case.name,
        "seeds": [r["seed"] for r in rows],
        "buggy": _median(buggy),
        "fixed": _median(fixed),
        "repaired": _median(rep),
        "random": _median(rand),
        "ir": _median([ir(p, b, f) for p, b, f in zip(rep, buggy, fixed)]),
        "ir_random": _median([ir(p, b, f) for p, b, f in zip(rand, buggy, fixed)]),
        "fixed_clearly_better": _median([f - b for f, b in zip(fixed, buggy)]) > CLEAR,
        "noise": round(noise, 4),
        "retrains": [r.get("repair", {}).get("retrains") for r in rows],
        "random_trials": [len(r["random"]) for r in rows],
        "seconds": _median([r.get("repair", {}).get("seconds") for r in rows]),
        "fixed_flags": [r.get("repair", {}).get("fixed") for r in rows],
        "changes": [
            [c["code"] for c in r.get("repair", {}).get("changes", [])] for r in rows
        ],
    }
    gain = _median(gains)
    out["beyond_noise"] = None if gain is None else gain > noise
    out["false_fixed"] = sum(
        bool(f) and (g is None or g <= noise) for f, g in zip(out["fixed_flags"], gains)
    )
    return out


def _cell(text):
    """`text` fit for one markdown table cell."""
    return text.replace("\n", "; ").replace("|", "\\|")


def _fmt(v, digits=3):
    return "-" if v is None else f"{v:.{digits}f}"


def print_faulty(summaries, use_repair):
    print(
        "\n| program | buggy | repaired | fixed | IR | random | IR random | "
        "retrains | s | fixed=True | changes (first seed) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for s in summaries:
        flags = s["fixed_flags"]
        print(
            f"| {s['name']} | {_fmt(s['buggy'])} | {_fmt(s['repaired'])} | "
            f"{_fmt(s['fixed'])} | {_fmt(s['ir'], 2)} | {_fmt(s['random'])} | "
            f"{_fmt(s['ir_random'], 2)} | "
            f"{','.join(str(r) for r in s['retrains'] if r is not None) or '-'} | "
            f"{_fmt(s['seconds'], 0)} | "
            f"{sum(map(bool, flags)) if use_repair else '-'}/{len(flags)} | "
            f"{_cell('; '.join(s['changes'][0])) or '-'} |"
        )


def summary_lines(summaries, healthy, use_repair):
    # IR and the comparisons need a fixed variant that beats the buggy program
    # (double_softmax does not on TensorFlow: Keras takes the softmax's logits)
    scored = [s for s in summaries if s["fixed_clearly_better"]]
    n, left_out = len(scored), [s["name"] for s in summaries if s not in scored]
    lines = [
        f"fixed variants clearly better than buggy (median, > {CLEAR}): "
        f"{n}/{len(summaries)}"
        + (f"; left out: {', '.join(left_out)}" * bool(left_out))
    ]
    if not use_repair:
        lines.append("repair: not run (--no-repair)")
        return lines
    high = sum((s["ir"] or 0) >= 0.9 for s in scored)
    beyond = sum(bool(s["beyond_noise"]) for s in scored)
    false_fixed = sum(s["false_fixed"] for s in summaries)
    retrains = [r for s in summaries for r in s["retrains"] if r is not None]
    ahead = sum((s["repaired"] or 0) > s["random"] + 1e-9 for s in scored)
    behind = sum((s["repaired"] or 0) < s["random"] - 1e-9 for s in scored)
    reach = [s for s in scored if not FIXED[s["name"]].beyond]
    lines += [
        f"IR >= 0.9 (median of seeds): {high}/{n} faulty programs (target >= 80 %)",
        f"improvement beyond noise: {beyond}/{n} (target >= 95 %)",
        f"within a repair's reach ({len(reach)} of {n}; left out, their fix brings "
        "rows or labels the program lacks: "
        f"{', '.join(s['name'] for s in scored if s not in reach) or 'none'}): "
        f"IR >= 0.9 on {sum((s['ir'] or 0) >= 0.9 for s in reach)}/{len(reach)}, "
        f"beyond noise on {sum(bool(s['beyond_noise']) for s in reach)}/"
        f"{len(reach)}",
        f"fixed=True without an improvement beyond noise: {false_fixed} runs "
        "(target 0)",
        f"repair vs random search at equal retrains: repair ahead on {ahead}, "
        f"random ahead on {behind}, level on {n - ahead - behind} of {n}; "
        f"median IR {_fmt(_median([s['ir'] for s in scored]), 2)} vs "
        f"{_fmt(_median([s['ir_random'] for s in scored]), 2)}",
        f"retrains: max {max(retrains, default=0)} (target <= 6), median "
        f"{_fmt(_median(retrains), 1)} (target <= 3)",
    ]
    if healthy:
        rows = [r for _, seeds in healthy for r in seeds]
        changed = sum(bool(r["repair"].get("changes")) for r in rows)
        retrained = sum(bool(r["repair"].get("retrains")) for r in rows)
        crashed = sum(bool(r["repair"].get("crash")) for r in rows)
        lines.append(
            f"healthy programs: {len(healthy)} x seeds = {len(rows)} runs; with a "
            f"change {changed}, with a retrain {retrained}, crashed {crashed} "
            "(target 0)"
        )
    return lines


def _key(name, seed, mode):
    return f"{name}|{seed}|{mode}"


def load_store(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)["rows"]


def save_row(path, key, row):
    with locked(path):
        rows = load_store(path)
        rows[key] = row
        write_json(path, {"rows": rows}, indent=1)


def parse_seeds(text):
    """`"3"`: seeds 0, 1, 2; `"0,2"` (or `"4,"`): those seeds."""
    try:
        if "," in text:
            seeds = [int(s) for s in text.split(",") if s.strip()]
        else:
            seeds = list(range(int(text)))
    except ValueError:
        seeds = []
    if not seeds:
        raise SystemExit(
            "repair.py: error: --seeds takes a count (3: seeds 0-2) or a list "
            f"(0,2 or 4,). Received: --seeds {text}"
        )
    return seeds


def _commit():
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="3", help="a count N (0..N-1) or a list 0,2")
    p.add_argument("--only", default="", help="comma-separated program names")
    p.add_argument("--healthy", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--faulty", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--no-repair", action="store_true", help="buggy/fixed/random only")
    p.add_argument("--random-trials", type=int, default=3, help="with --no-repair")
    p.add_argument("--fresh", action="store_true", help="ignore stored rows")
    p.add_argument(
        "--stored-only",
        action="store_true",
        help="train nothing: summarize the rows already stored",
    )
    p.add_argument("--out", default=None, help="summary JSON path")
    p.add_argument("--backend", default=None, help="keras backend (read at import)")
    args = p.parse_args()
    if missing():
        p.error(f"faulty programs without a fixed variant: {missing()}")
    seeds, only = parse_seeds(args.seeds), set(filter(None, args.only.split(",")))
    unknown = only - {c.name for c in CASES}
    if unknown:
        p.error(f"unknown program(s) {sorted(unknown)}")
    use_repair = not args.no_repair
    kinds = {"faulty"} if args.faulty else set()
    if args.healthy and use_repair:
        kinds.add("healthy")
    cases = [c for c in CASES if c.kind in kinds and (not only or c.name in only)]
    out = args.out or os.path.join(
        RESULTS, "repair_only.json" if only else "repair.json"
    )
    store = out.removesuffix(".json") + "_partial.json"
    mode = "repair" if use_repair else f"no-repair:{args.random_trials}"
    _diagnosis_data._mnist1d()  # made once, before any seed is set (it reseeds)
    stored = {} if args.fresh else load_store(store)
    t0, done = time.perf_counter(), []
    for c in cases:
        rows = []
        for seed in seeds:
            key = _key(c.name, seed, mode)
            row = stored.get(key)
            if row is None and args.stored_only:
                continue
            if row is None:
                if c.kind == "faulty":
                    row = faulty_row(c, seed, use_repair, args.random_trials)
                else:
                    row = healthy_row(c, seed)
                row["commit"] = _commit()
                save_row(store, key, row)
                keras.backend.clear_session()
            rows.append(row)
            print(progress(c, row), flush=True)
        if rows:
            done.append((c, rows))
    faulty = [program_summary(c, rows) for c, rows in done if c.kind == "faulty"]
    healthy = [(c, rows) for c, rows in done if c.kind == "healthy"]
    print_faulty(faulty, use_repair)
    lines = summary_lines(faulty, healthy, use_repair)
    print("\n" + "\n".join(lines))
    wall = time.perf_counter() - t0
    print(f"\nwall time {wall / 60:.1f} min (stored rows reused: {len(stored)} known)")
    result = {
        "mode": mode,
        "seeds": seeds,
        "platform": {
            "python": platform.python_version(),
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
        },
        "summary": lines,
        "faulty": faulty,
        "healthy": [
            {"name": c.name, "seeds": rows, "description": c.description}
            for c, rows in healthy
        ],
        "rows": {c.name: rows for c, rows in done if c.kind == "faulty"},
        "fixed_variants": {n: f.change for n, f in FIXED.items()},
    }
    write_json(out, result, indent=1)
    print(f"wrote {out}")


def progress(case, row):
    if case.kind == "healthy":
        r = row["repair"]
        return (
            f"H {case.name} seed {row['seed']}: changes {len(r.get('changes', []))} "
            f"retrains {r.get('retrains')} {r.get('crash') or ''}"
        )
    text = (
        f"F {case.name} seed {row['seed']}: buggy {row['buggy']['score']:.3f} "
        f"fixed {row['fixed']['score']:.3f}"
    )
    if "repair" in row:
        r = row["repair"]
        text += (
            f" repaired {_fmt(r.get('score'))} (retrains {r.get('retrains')}, "
            f"fixed={r.get('fixed')}, {r['seconds']}s) {r.get('crash') or ''}"
        )
    best = max([row["buggy"]["score"]] + [t["score"] for t in row["random"]])
    return text + f" random best {best:.3f} of {len(row['random'])}"


if __name__ == "__main__":
    main()
