"""The repair benchmark's tables (`benchmarks/repair.py`), as it prints them.

Used by `docs/gen_benchmarks.py`; standard library only.
"""

from __future__ import annotations

from _tables_common import _load


def _fmt(v, digits=3):
    return "-" if v is None else f"{v:.{digits}f}"


def _cell(text):
    return text.replace("\n", "; ").replace("|", "\\|")


def repair_table(file="repair.json"):
    """Per faulty program: buggy, repaired, fixed, IR, random search at the
    same retrains (medians over the seeds)."""
    data = _load(file)
    repaired = not data["mode"].startswith("no-repair")
    lines = [
        "| program | buggy | repaired | fixed | IR | random | IR random | "
        "retrains | s | fixed=True | changes (first seed) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in data["faulty"]:
        flags = s["fixed_flags"]
        lines.append(
            f"| {s['name']} | {_fmt(s['buggy'])} | {_fmt(s['repaired'])} | "
            f"{_fmt(s['fixed'])} | {_fmt(s['ir'], 2)} | {_fmt(s['random'])} | "
            f"{_fmt(s['ir_random'], 2)} | "
            f"{','.join(str(r) for r in s['retrains'] if r is not None) or '-'} | "
            f"{_fmt(s['seconds'], 0)} | "
            f"{sum(map(bool, flags)) if repaired else '-'}/{len(flags)} | "
            f"{_cell('; '.join(s['changes'][0])) or '-'} |"
        )
    return "\n".join(lines)


def repair_summary(file="repair.json"):
    """The summary lines the script prints under its table, as a list."""
    data = _load(file)
    p = data["platform"]
    head = (
        f"Seeds {', '.join(map(str, data['seeds']))}; Keras {p['keras']} on "
        f"{p['backend']}, Python {p['python']}; {len(data['faulty'])} faulty and "
        f"{len(data['healthy'])} healthy programs."
    )
    return "\n".join([head, ""] + [f"- {line}" for line in data["summary"]])
