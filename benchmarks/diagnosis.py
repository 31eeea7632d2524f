"""Diagnosis quality of `recipes.preflight` + `callbacks.Babysitter` on a labeled suite.

The suite: healthy programs (`_diagnosis_healthy.py`, and the big models of
`_diagnosis_big.py`: a fine-tuned MobileNetV2, a 12-block ResNet-style CNN;
they train well, so any warning or error on them is a false alarm) and
faulty programs
(`_diagnosis_faulty.py`, `_diagnosis_faulty_kinds.py`; each a real bug,
labeled with the acceptable root-cause check names and keywords of the right
fix). Each is written as a
Keras user writes it, with its own optimizer, loss, input pipeline (arrays,
tf.data, PyDataset) and callbacks.

Per case and seed: `keras.utils.set_random_seed(seed)`; build; run
`recipes.preflight(model, x, y, validation_data=...)` when the input is arrays
(with `validation_split`, on the split Keras will make; skipped for datasets);
then `model.fit(..., callbacks=[Babysitter(verbose=0), *case_callbacks])`.
Records every finding, the final train/validation metrics, seconds, and the
verdict: `callbacks.diagnose(preflight + babysitter findings)` if that
function exists, else `sitter.diagnosis()` if that method exists, else None.

A faulty case is *detected* in a seed when an expected check fired at
warning/error (preflight or babysitter); the verdict is *right* when its
cause is in `expected`, and its fix is right when its suggestion holds every
`fix_words` keyword. Results: `benchmarks/results/diagnosis.json` (written
whole; with `--only` / `--kind`, to `diagnosis_partial.json`; `--out NAME`
names the file).

Usage:

    nice -n 10 python benchmarks/diagnosis.py [--seeds 3] [--only a,b]
        [--kind healthy|faulty] [--no-preflight] [--out NAME.json]
        [--precision float32|mixed_float16|mixed_bfloat16]

`--precision` sets Keras' global dtype policy before any program is built, so
every program runs as its author's code would under
`keras.mixed_precision.set_global_policy(...)`; the backend is
`KERAS_BACKEND` (TensorFlow unless set).
"""

import argparse
import os
import platform
import re
import sys
import time
import traceback
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _diagnosis_big  # noqa: E402, F401  (importing registers the cases)
import _diagnosis_faulty  # noqa: E402, F401
import _diagnosis_faulty_kinds  # noqa: E402, F401
import _diagnosis_healthy  # noqa: E402, F401
import keras  # noqa: E402
import numpy as np  # noqa: E402
from _diagnosis_case import CASES  # noqa: E402
from _results import write_json  # noqa: E402

import callbacks  # noqa: E402
import recipes  # noqa: E402

ALARM = ("warning", "error")
warnings.filterwarnings("ignore", message=".*shuffle=True. was passed")
warnings.filterwarnings("ignore", message=".*PyDataset. class should call")


def is_arrays(x):
    return isinstance(x, np.ndarray)


def preflight_data(spec):
    """`(x, y, validation_data)` as the model will see them, or None (datasets)."""
    x, y = spec["x"], spec["y"]
    if not is_arrays(x):
        return None
    val = spec["validation_data"]
    if spec["validation_split"]:
        n = int(len(x) * (1 - spec["validation_split"]))  # Keras keeps the head
        x, y, val = x[:n], y[:n], (x[n:], y[n:])
    return x, y, val


def fit_kwargs(spec, callbacks_list):
    kw = dict(epochs=spec["epochs"], verbose=0, callbacks=callbacks_list)
    kw.update(spec["fit"])
    if is_arrays(spec["x"]):
        kw.update(x=spec["x"], y=spec["y"], batch_size=spec["batch_size"])
    else:
        kw.update(x=spec["x"])
    if spec["validation_split"]:
        kw["validation_split"] = spec["validation_split"]
    elif spec["validation_data"] is not None:
        kw["validation_data"] = spec["validation_data"]
    return kw


def _num(v):
    v = float(v)
    return round(v, 4) if np.isfinite(v) else str(v)


def final_metrics(spec, history):
    """Last-epoch logged figures, plus R^2/MAE (regression) on validation arrays."""
    hist = history.history if history is not None else {}
    out = {k: _num(v[-1]) for k, v in hist.items() if v and "/" not in k}
    out = {
        k: v
        for k, v in out.items()
        if k.removeprefix("val_") in ("loss", "accuracy", "mae", "mse")
    }
    out["epochs_run"] = len(hist.get("loss", []))
    if "val_accuracy" in hist and hist["val_accuracy"]:
        out["best_val_accuracy"] = _num(np.nanmax(hist["val_accuracy"]))
    if spec["task"] == "regression":
        val = spec["eval_data"] or spec["validation_data"]
        if isinstance(val, tuple):
            xv, yv = val
        elif spec["validation_split"]:
            n = int(len(spec["x"]) * (1 - spec["validation_split"]))
            xv, yv = spec["x"][n:], spec["y"][n:]
        else:
            xv = None
        if xv is not None:
            pred = spec["model"].predict(xv, verbose=0, batch_size=256).reshape(-1)
            yv = np.asarray(yv, "float64").reshape(-1)
            if np.all(np.isfinite(pred)):
                ss = np.sum((yv - yv.mean()) ** 2)
                out["val_r2"] = _num(1 - np.sum((yv - pred) ** 2) / ss)
                out["val_mae"] = _num(np.mean(np.abs(yv - pred)))
            else:
                out["val_r2"] = "nan"
    return out


def _jsonable(obj):
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return _num(obj)
    if isinstance(obj, callbacks.Finding):
        return obj.to_dict()
    if isinstance(obj, (list, tuple)):
        return [_jsonable(o) for o in obj]
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if hasattr(obj, "to_dict"):
        return _jsonable(obj.to_dict())
    return str(obj)


def read_verdict(findings, sitter):
    """The diagnosis, whichever interface today's code has; `(source, dict|None)`."""
    diagnose = getattr(callbacks, "diagnose", None)
    if callable(diagnose):
        source, result = "callbacks.diagnose", diagnose(findings)
    elif callable(getattr(sitter, "diagnosis", None)):
        source, result = "Babysitter.diagnosis", sitter.diagnosis()
    else:
        return None, None
    if result is None:
        return source, None
    fields = ("cause", "summary", "suggestion", "evidence")
    return source, {f: _jsonable(getattr(result, f, None)) for f in fields}


def fix_matches(text, words):
    """Every keyword at a word start in `text` ("a|b": either)."""
    text = (text or "").lower()
    return all(
        any(re.search(r"(?<![a-z])" + re.escape(w), text) for w in alt.split("|"))
        for alt in words
    )


def run_once(case, seed, use_preflight, precision="float32"):
    keras.mixed_precision.set_global_policy(precision)  # clear_session resets it
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    spec = case.build(seed)
    row = {"seed": seed, "preflight": "skipped: dataset input", "crash": None}
    pre = []
    data = preflight_data(spec)
    if not use_preflight:
        row["preflight"] = "skipped: --no-preflight"
    elif data is not None:
        t = time.perf_counter()
        try:
            x, y, val = data
            report = recipes.preflight(spec["model"], x, y, validation_data=val)
            pre = list(report.findings)
            row["preflight"] = {
                "checks": dict(report.checks),
                "seconds": round(time.perf_counter() - t, 1),
            }
        except Exception as e:  # noqa: BLE001 - a crash is a result here
            row["preflight"] = f"crashed: {type(e).__name__}: {e}"[:500]
    sitter = callbacks.Babysitter(verbose=0)
    history = None
    t = time.perf_counter()
    try:
        history = spec["model"].fit(**fit_kwargs(spec, [sitter, *spec["callbacks"]]))
    except Exception as e:  # noqa: BLE001
        row["crash"] = f"{type(e).__name__}: {e}"[:800]
        row["crash_where"] = traceback.format_exc().splitlines()[-3:]
    row["fit_seconds"] = round(time.perf_counter() - t, 1)
    sat = list(sitter.findings)
    try:
        row["metrics"] = final_metrics(spec, history)
    except Exception as e:  # noqa: BLE001
        row["metrics"] = {"error": f"{type(e).__name__}: {e}"[:300]}
    try:
        row["verdict_source"], row["verdict"] = read_verdict(pre + sat, sitter)
    except Exception as e:  # noqa: BLE001
        row["verdict_source"], row["verdict"] = "crashed", None
        row["verdict_error"] = f"{type(e).__name__}: {e}"[:300]
    row["findings"] = [dict(f.to_dict(), source="preflight") for f in pre] + [
        dict(f.to_dict(), source="babysitter") for f in sat
    ]
    row["seconds"] = round(time.perf_counter() - start, 1)
    keras.backend.clear_session()
    return row


def score(case, row):
    alarms = [f for f in row["findings"] if f["severity"] in ALARM]
    row["alarm_checks"] = sorted({f["check"] for f in alarms})
    if case.kind == "healthy":
        row["false_alarm"] = bool(alarms)
        return
    hits = [f for f in alarms if f["check"] in case.expected]
    row["detected"] = bool(hits)
    row["first_detection"] = None
    if hits:
        first = next((f for f in hits if f["source"] == "preflight"), None)
        if first is not None:
            row["first_detection"] = "preflight"
        else:
            e = hits[0]["epoch"]
            row["first_detection"] = "init" if e is None else e
        row["detected_by"] = sorted({f["check"] for f in hits})
    v = row.get("verdict")
    row["verdict_cause_ok"] = None if v is None else v.get("cause") in case.expected
    row["verdict_fix_ok"] = (
        None if v is None else fix_matches(v.get("suggestion"), case.fix_words)
    )


def metric_text(m):
    keys = ("loss", "val_loss", "accuracy", "val_accuracy", "val_r2", "val_mae")
    parts = [f"{k}={m[k]}" for k in keys if k in m]
    return " ".join(parts) + f" ({m.get('epochs_run', '?')} ep)"


def summarize(rows_by_case):
    per_check = {}
    for c, seeds in rows_by_case:
        for s in seeds:
            for check in s["alarm_checks"]:
                st = per_check.setdefault(
                    check, {"detected": 0, "missed": 0, "false_alarms": 0, "other": 0}
                )
                if c.kind == "healthy":
                    st["false_alarms"] += 1
                elif check in c.expected:
                    st["detected"] += 1
                else:
                    st["other"] += 1
            if c.kind == "faulty" and not s["detected"]:
                st = per_check.setdefault(
                    c.expected[0],
                    {"detected": 0, "missed": 0, "false_alarms": 0, "other": 0},
                )
                st["missed"] += 1
    return per_check


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--only", default="", help="comma-separated case names")
    p.add_argument("--kind", choices=("healthy", "faulty"), default=None)
    p.add_argument("--no-preflight", action="store_true")
    p.add_argument(
        "--precision",
        choices=("float32", "mixed_float16", "mixed_bfloat16"),
        default="float32",
        help="Keras' global dtype policy for every program",
    )
    p.add_argument(
        "--out",
        default=None,
        help="results file name in benchmarks/results (default: diagnosis.json, "
        "or diagnosis_partial.json with --only / --kind)",
    )
    args = p.parse_args()
    only = set(filter(None, args.only.split(",")))
    unknown = only - {c.name for c in CASES}
    if unknown:
        p.error(f"unknown case(s) {sorted(unknown)}; known: {[c.name for c in CASES]}")
    cases = [
        c
        for c in sorted(CASES, key=lambda c: c.kind != "healthy")  # stable
        if (not only or c.name in only) and (args.kind in (None, c.kind))
    ]
    t0 = time.perf_counter()
    done = []
    for c in cases:
        seeds = []
        for seed in range(args.seeds):
            row = run_once(c, seed, not args.no_preflight, args.precision)
            score(c, row)
            seeds.append(row)
            tag = "FALSE ALARM" if row.get("false_alarm") else ""
            if c.kind == "faulty":
                tag = f"detected={row['detected']} first={row['first_detection']}"
            print(
                f"{c.kind[0].upper()} {c.name} seed {seed} {row['seconds']:.1f}s "
                f"{metric_text(row['metrics'])} alarms={row['alarm_checks']} {tag}"
                + (f" CRASH {row['crash'][:120]}" if row["crash"] else ""),
                flush=True,
            )
        done.append((c, seeds))
    wall = time.perf_counter() - t0
    print_tables(done)
    per_check = summarize(done)
    print(
        "\n| check | detected | missed (as preferred) | other alarms on faulty "
        "| false alarms on healthy |"
    )
    print("|---|---|---|---|---|")
    for check, st in sorted(per_check.items()):
        print(
            f"| {check} | {st['detected']} | {st['missed']} | {st['other']} | "
            f"{st['false_alarms']} |"
        )
    print(f"\nwall time {wall / 60:.1f} min for {len(done)} cases x {args.seeds} seeds")
    result = {
        "seeds": args.seeds,
        "preflight": not args.no_preflight,
        "precision": args.precision,
        "wall_seconds": round(wall, 1),
        "platform": {
            "python": platform.python_version(),
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
        },
        "cases": [
            {
                "name": c.name,
                "kind": c.kind,
                "description": c.description,
                "expected": list(c.expected),
                "fix_words": list(c.fix_words),
                "seeds": seeds,
            }
            for c, seeds in done
        ],
        "per_check": per_check,
    }
    name = "diagnosis.json" if not (only or args.kind) else "diagnosis_partial.json"
    name = args.out or name
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", name)
    write_json(out, _jsonable(result), indent=1)
    print(f"wrote {out}")


def _fraction(flags):
    if all(v is None for v in flags):
        return "n/a"
    return f"{sum(map(bool, flags))}/{len(flags)}"


def print_tables(done):
    print("\n## Healthy programs (any warning/error is a false alarm)\n")
    print("| case | false alarms (seeds) | warning/error checks | metrics, seed 0 |")
    print("|---|---|---|---|")
    for c, seeds in done:
        if c.kind != "healthy":
            continue
        n = sum(s["false_alarm"] for s in seeds)
        checks = sorted({k for s in seeds for k in s["alarm_checks"]})
        print(
            f"| {c.name} | {n}/{len(seeds)} | {', '.join(checks) or '-'} | "
            f"{metric_text(seeds[0]['metrics'])} |"
        )
    print("\n## Faulty programs\n")
    print(
        "| case | expected | detected (seeds) | first detection | verdict right "
        "| fix right | other warning/error checks |"
    )
    print("|---|---|---|---|---|---|---|")
    for c, seeds in done:
        if c.kind != "faulty":
            continue
        hits = sum(s["detected"] for s in seeds)
        first = ",".join(str(s["first_detection"]) for s in seeds)
        other = sorted({k for s in seeds for k in s["alarm_checks"]} - set(c.expected))
        vok = [s["verdict_cause_ok"] for s in seeds]
        fok = [s["verdict_fix_ok"] for s in seeds]
        vtxt = _fraction(vok)
        ftxt = _fraction(fok)
        print(
            f"| {c.name} | {c.expected[0]} | {hits}/{len(seeds)} | {first} | "
            f"{vtxt} | {ftxt} | {', '.join(other) or '-'} |"
        )


if __name__ == "__main__":
    main()
