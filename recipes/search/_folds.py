"""How `tune` splits the data: one validation set, or folds (`cv`).

`cv="auto"` cross-validates when the validation set would be too small to
rank trials on.
"""

from __future__ import annotations

import numpy as np

from recipes import _validate

# A validation set smaller than this is too noisy to rank trials on (on
# wine's 22 rows, 8 of 10 trials tied at 1.0): `cv="auto"` cross-validates.
SMALL_VALIDATION = 200
AUTO_FOLDS = 5


def check_validation(x, y, validation_data, task):
    xv, yv = validation_data
    xv = _validate.check_x(xv, "validation_data[0]", input_shape=x.shape[1:])
    yv = _validate.check_labels(
        yv,
        task=task,
        num_classes=1 if task == "regression" else max(int(np.max(y)) + 1, 2),
        name="validation_data[1]",
        length=len(xv),
    )
    return xv, yv


def auto_cv(x, y, validation_data, validation_split, task):
    """`cv="auto"`: the folds to use (or None) and the sentence saying why."""
    n_val = (
        len(validation_data[0])
        if validation_data is not None
        else int(np.ceil(len(x) * validation_split))
    )
    if n_val >= SMALL_VALIDATION:
        return None, None
    pooled = y if validation_data is None else np.concatenate([y, validation_data[1]])
    k = AUTO_FOLDS
    if task == "regression":
        k = min(k, len(pooled) // 2)
    else:
        counts = np.bincount(pooled.astype("int64"))
        k = min(k, int(counts[counts > 0].min()))
    if k < 2:
        return None, None
    note = (
        f"The validation set would have {n_val} rows (under {SMALL_VALIDATION}): "
        "too few to rank trials (ties, noise), so each trial was "
        f"cross-validated with {k} folds over all {len(pooled)} rows instead."
    )
    return k, note


def folds(x, y, cv, validation_split, seed, task):
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    regression = task == "regression"
    if cv is not None:
        if regression:
            if len(y) < 2 * cv:
                raise ValueError(
                    f"cv={cv} needs at least {2 * cv} examples. Lower `cv` or add "
                    f"data. Received: cv={cv} with {len(y)} examples"
                )
            splitter = KFold(cv, shuffle=True, random_state=seed or 0)
            return [(x[tr], y[tr], (x[va], y[va])) for tr, va in splitter.split(x)]
        counts = np.bincount(y.astype("int64"))
        smallest = int(counts[counts > 0].min())
        if smallest < cv:
            raise ValueError(
                f"cv={cv} needs at least {cv} samples of every class, but the "
                f"smallest class has {smallest}. Lower `cv` or add data. "
                f"Received: cv={cv}"
            )
        splitter = StratifiedKFold(cv, shuffle=True, random_state=seed or 0)
        return [
            (x[tr], y[tr], (x[va], y[va]))
            for tr, va in splitter.split(np.zeros(len(y)), y)
        ]
    x, xv, y, yv = train_test_split(
        x,
        y,
        test_size=validation_split,
        stratify=None if regression else y,
        random_state=seed or 0,
    )
    return [(x, y, (xv, yv))]
