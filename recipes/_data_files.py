"""Reading a person's data files for the command line (private).

`.npz` files hold arrays `x` and `y` (optionally `x_test`, `y_test`,
`class_names`); `.csv` (delimiter sniffed) and `.tsv` files have a header row
and a `--target` column, read with pandas.
"""

from __future__ import annotations

import os


class BadInput(ValueError):
    """Raised for input the command line reports in one line."""


def one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


_NA = ["", "na", "NA", "nan", "NaN", "null", "NULL", "none", "None", "n/a", "N/A", "?"]


def read_frame(path):
    """The table at `path` as a DataFrame (delimiter sniffed; `.tsv` is tabs)."""
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    tab = path.lower().endswith(".tsv")
    try:
        frame = pd.read_csv(
            path,
            sep="\t" if tab else None,
            engine="c" if tab else "python",
            na_values=_NA,
            keep_default_na=True,
            skipinitialspace=True,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise BadInput(
            f"{path} is empty: a table needs a header row and data rows. "
            f"Received: {path}"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise BadInput(
            f"{path} is not a readable table ({one_line(e)}). Save it as CSV "
            f"(comma, semicolon or tab separated) with a header row. Received: {path}"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in frame.columns:  # "  a " and "a" are the same category
        if not is_numeric_dtype(frame[col]):
            frame[col] = frame[col].map(
                lambda v: v.strip() if isinstance(v, str) else v
            )
    return frame


def _flag_columns(frame, flags):
    """Problems with columns named in flags that the table does not have."""
    problems = []
    for flag, names in flags.items():
        missing = [n for n in names if n not in frame.columns]
        if missing:
            problems.append(
                f"{flag} names column(s) {missing} that are not in the table "
                f"(its columns: {list(frame.columns)})."
            )
    return problems


def read_table(path, target, *, drop=(), categorical=(), id_column=None, features=None):
    """Reads a CSV/TSV for training: the feature frame, labels and problems.

    Returns a dict with `frame` (every column but the target), `features`
    (the columns to learn from), `drop` (the others, ID column apart), `y`,
    `class_names` (string labels, sorted), `target`, `categorical`,
    `id_column`, `notes` (said to the user) and `problems` (every problem
    found, one sentence each; the caller reports them at once).
    """
    import numpy as np
    from pandas.api.types import is_numeric_dtype

    if not target:
        raise BadInput(
            f"A CSV needs --target COLUMN naming the label column. "
            f"Received: {path} without --target"
        )
    frame = read_frame(path)
    problems, notes = [], []
    flags = {
        "--target": [target],
        "--drop": list(drop or ()),
        "--categorical": list(categorical or ()),
        "--id-column": [id_column] if id_column else [],
        "--features": list(features or ()),
    }
    problems += _flag_columns(frame, flags)
    if not len(frame):
        problems.append(f"{path} has a header but no data rows.")
    if target not in frame.columns or not len(frame):
        return {"problems": problems}
    known = set(frame.columns)  # go on with the names that exist
    drop = [c for c in drop or () if c in known]
    categorical = [c for c in categorical or () if c in known]
    features = [c for c in features or () if c in known]
    id_column = id_column if id_column in known else None
    y = frame[target]
    if y.isna().all():
        problems.append(
            f"The target column {target!r} is all missing: pick the right "
            "column with --target."
        )
        return {"problems": problems}
    if y.isna().any():
        notes.append(
            f"{int(y.isna().sum())} row(s) without a {target!r} value were left out."
        )
        frame = frame[y.notna()].reset_index(drop=True)
        y = frame[target]
    keep = list(features) if features else [c for c in frame.columns if c != target]
    keep = [c for c in keep if c not in (drop or ()) and c != target]
    left_out = [c for c in frame.columns if c not in keep and c != target]
    if id_column:
        left_out = [c for c in left_out if c != id_column]
        keep = [c for c in keep if c != id_column]
    if not keep:
        problems.append("No feature column is left: check --drop and --features.")
    if not is_numeric_dtype(y):
        names = sorted({str(v) for v in y})
        index = {n: i for i, n in enumerate(names)}
        labels = np.asarray([index[str(v)] for v in y], dtype="int64")
    else:
        names, labels = None, np.asarray(y, dtype="float64")
    return {
        "frame": frame.drop(columns=[target]),
        "features": keep,
        "drop": left_out,
        "y": labels,
        "class_names": names,
        "target": target,
        "categorical": list(categorical or ()),
        "id_column": id_column,
        "notes": notes,
        "problems": problems,
    }


def read_npz(path):
    import numpy as np

    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise BadInput(
            f"{path} is not a readable .npz file ({one_line(e)}). Received: {path}"
        ) from None
    keys = sorted(data.files)
    missing = [k for k in ("x", "y") if k not in keys]
    if missing:
        raise BadInput(
            f"{path} must hold arrays named 'x' and 'y' (np.savez(path, x=..., "
            f"y=...)); {' and '.join(missing)} missing. Received: arrays {keys}"
        )
    out = {"x": data["x"], "y": data["y"], "class_names": None}
    if "x_test" in keys and "y_test" in keys:
        out.update(x_test=data["x_test"], y_test=data["y_test"])
    if "class_names" in keys:
        out["class_names"] = [str(c) for c in data["class_names"]]
    return out


def load_data(path, target=None, **table_options):
    """Reads `.npz` (arrays x, y, optional x_test, y_test), `.csv` or `.tsv`."""
    if not os.path.isfile(path):
        raise BadInput(
            "No such data file: check the path (relative paths start from the "
            "current folder); give a .csv with a header row or a .npz with "
            f"arrays x and y. Received: {path}"
        )
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        return read_npz(path)
    if ext in (".csv", ".tsv"):
        return read_table(path, target, **table_options)
    raise BadInput(
        "DATA must be a .npz file (arrays x and y) or a .csv / .tsv file with "
        f"--target COLUMN. Received: {path}"
    )
