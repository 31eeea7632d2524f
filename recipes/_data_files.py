"""Reading a person's data files for the command line (private).

`.npz` files hold arrays `x` and `y` (optionally `x_test`, `y_test`,
`class_names`); `.csv` files have a header row and a `--target` column.
"""

from __future__ import annotations

import csv
import os

_MISSING = {"", "na", "nan", "null", "none", "n/a", "?"}


class BadInput(ValueError):
    """Raised for input the command line reports in one line."""


def one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def read_csv(path, target):
    import numpy as np

    if not target:
        raise BadInput(
            f"A CSV needs --target COLUMN naming the label column. "
            f"Received: {path} without --target"
        )
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise BadInput(f"{path} has no data rows. Received: {len(rows)} line(s)")
    header = [h.strip() for h in rows[0]]
    if target not in header:
        raise BadInput(
            f"Target column {target!r} is not in {path}; its columns are "
            f"{header}. Pass one of them with --target. Received: --target {target}"
        )
    t = header.index(target)
    features, labels = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise BadInput(
                f"{path} line {line} has {len(row)} fields, the header "
                f"{len(header)}. Received: {row[:5]}"
            )
        values = []
        for j, cell in enumerate(row):
            cell = cell.strip()
            if cell.lower() in _MISSING:
                raise BadInput(
                    f"{path} has a missing value in column {header[j]!r} "
                    f"(line {line}). Impute or drop those rows first. "
                    f"Received: {cell!r}"
                )
            if j == t:
                labels.append(cell)
                continue
            try:
                values.append(float(cell))
            except ValueError:
                raise BadInput(
                    f"Column {header[j]!r} of {path} is not numeric (line "
                    f"{line}). Encode it as numbers (e.g. one-hot) or drop it. "
                    f"Received: {cell!r}"
                ) from None
        features.append(values)
    x = np.asarray(features, dtype="float32")
    try:
        y = np.asarray([float(v) for v in labels])
        names = None
    except ValueError:  # string labels: classes in sorted order
        names = sorted(set(labels))
        y = np.asarray([names.index(v) for v in labels], dtype="int64")
    return {"x": x, "y": y, "class_names": names}


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


def load_data(path, target=None):
    """Reads `.npz` (arrays x, y, optional x_test, y_test) or `.csv`."""
    if not os.path.isfile(path):
        raise BadInput(
            "No such data file: check the path (relative paths start from the "
            "current folder); give a .csv with a header row or a .npz with "
            f"arrays x and y. Received: {path}"
        )
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        return read_npz(path)
    if ext == ".csv":
        return read_csv(path, target)
    raise BadInput(
        "DATA must be a .npz file (arrays x and y) or a .csv file with "
        f"--target COLUMN. Received: {path}"
    )
