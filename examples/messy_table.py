"""A messy table through `keras-recipes fit` and `predict` in one go.

Writes `messy.csv`: six columns of scikit-learn's breast-cancer table with a
patient ID, a string `clinic` column, 40 missing `mean texture` values,
string labels and headers with spaces, separated by semicolons; and
`new.csv`, 20 of its rows without the label. Then runs, as on a terminal:

    keras-recipes fit messy.csv --target diagnosis --output-dir runs/messy --quiet
    keras-recipes predict runs/messy/model.keras new.csv --output preds.csv

Run it with `python examples/messy_table.py [FOLDER]` (default: a new
`messy_table/` folder), or only write the files with `--write-only`.
"""

import argparse
import os


def write_tables(folder):
    """Writes `messy.csv` and `new.csv` into `folder`; returns their paths."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.iloc[:, :6].copy()
    rng = np.random.default_rng(0)
    frame.insert(0, "patient id", [f"P{i:04d}" for i in range(len(frame))])
    frame["clinic"] = rng.choice(["east", "west", "north"], size=len(frame))
    frame.loc[rng.choice(len(frame), 40, replace=False), "mean texture"] = np.nan
    frame["diagnosis"] = np.where(data.target == 0, "malignant", "benign")
    os.makedirs(folder, exist_ok=True)
    messy = os.path.join(folder, "messy.csv")
    new = os.path.join(folder, "new.csv")
    frame.to_csv(messy, sep=";", index=False)
    frame.drop(columns="diagnosis").head(20).to_csv(new, sep=";", index=False)
    return messy, new


def main(folder="messy_table", epochs=None, write_only=False):
    """Writes the tables, then runs `fit` and `predict` on them; returns the
    exit statuses of the two commands (or None with `write_only`)."""
    from recipes.cli import main as keras_recipes

    messy, new = write_tables(folder)
    print(f"Wrote {messy} and {new}")
    if write_only:
        return None
    run = os.path.join(folder, "runs", "messy")
    fit = ["fit", messy, "--target", "diagnosis", "--output-dir", run, "--quiet"]
    if epochs is not None:
        fit += ["--epochs", str(epochs)]
    status = keras_recipes(fit)
    preds = os.path.join(folder, "preds.csv")
    model = os.path.join(run, "model.keras")
    return status, keras_recipes(["predict", model, new, "--output", preds])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="messy_table")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--write-only", action="store_true")
    args = parser.parse_args()
    main(args.folder, epochs=args.epochs, write_only=args.write_only)
