"""Input validation shared by the builders, pre-flight checks and the main job.

Every error says what happened, what was expected, how to fix it, and ends
with `Received: ...`.
"""

from __future__ import annotations

import numpy as np

TASKS = ("classification", "binary", "regression")
MAX_CLASSES = 50  # integer labels with more distinct values are targets


def as_numeric(x, name="x"):
    """Returns `x` as a numpy array, or a TypeError if it is not numeric."""
    try:
        arr = np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise TypeError(
            f"`{name}` must be a numeric array. Received: {name} of type "
            f"{type(x).__name__} ({e})"
        ) from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise TypeError(
            f"`{name}` must be a numeric array; convert it with "
            f"np.asarray({name}, dtype='float32'). Received: {name}.dtype={arr.dtype}"
        )
    return arr


def check_x(x, name="x", input_shape=None):
    """Returns `x` as a float array after checking it is numeric and finite."""
    arr = as_numeric(x, name)
    if arr.ndim < 2 or len(arr) == 0:
        raise ValueError(
            f"`{name}` must be a non-empty array shaped (num_examples, ...). "
            f"Received: {name}.shape={arr.shape}"
        )
    arr = arr.astype("float32", copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = int((~finite).sum())
        raise ValueError(
            f"`{name}` contains {bad} NaN or infinite values. Impute or drop them "
            f"before training. Received: {name} with {bad} non-finite values"
        )
    if input_shape is not None and tuple(arr.shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"`{name}` examples are shaped {tuple(arr.shape[1:])} but the model "
            f"expects {tuple(input_shape)}. Reshape the data or pass a matching "
            f"`input_shape`. Received: {name}.shape={arr.shape}"
        )
    return arr


def check_labels(y, *, task, num_classes, one_hot=False, name="y", length=None):
    """Checks class labels (or regression targets) and returns them as an array."""
    arr = np.asarray(y)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise TypeError(
            f"`{name}` must be numeric (integer class ids or targets). Encode "
            "string labels with sklearn.preprocessing.LabelEncoder. "
            f"Received: {name}.dtype={arr.dtype}"
        )
    if length is not None and len(arr) != length:
        raise ValueError(
            f"`{name}` has {len(arr)} entries but the inputs have {length} "
            f"examples; they must match one to one. Received: len({name})={len(arr)}"
        )
    if arr.size and not np.isfinite(arr.astype("float64")).all():
        raise ValueError(
            f"`{name}` contains NaN or infinite values. Received: {name} with "
            f"{int((~np.isfinite(arr.astype('float64'))).sum())} non-finite values"
        )
    if task == "regression":
        return arr.astype("float32")
    if one_hot:
        if arr.ndim != 2 or arr.shape[1] != num_classes:
            raise ValueError(
                f"`one_hot=True` expects `{name}` shaped (num_examples, "
                f"{num_classes}). For integer class ids pass one_hot=False. "
                f"Received: {name}.shape={arr.shape}"
            )
        if not np.isin(arr, (0, 1)).all() or not np.allclose(arr.sum(1), 1):
            raise ValueError(
                f"`{name}` rows must be one-hot (a single 1 per row). "
                f"Received: row sums in [{arr.sum(1).min()}, {arr.sum(1).max()}]"
            )
        return arr.astype("float32")
    if arr.ndim == 2 and arr.shape[1] > 1:
        raise ValueError(
            f"`{name}` looks one-hot encoded (shape {arr.shape}) but sparse integer "
            f"class ids are expected. Pass `{name}.argmax(axis=1)`, or one_hot=True. "
            f"Received: {name}.shape={arr.shape}"
        )
    arr = arr.reshape(len(arr))
    if not np.all(arr == np.round(arr)):
        raise ValueError(
            f"`{name}` must hold integer class ids for task={task!r}; for real "
            f"targets use task='regression'. Received: {name} values like "
            f"{arr[arr != np.round(arr)][:3].tolist()}"
        )
    lo, hi = arr.min(), arr.max()
    if lo < 0 or hi >= num_classes:
        raise ValueError(
            f"`{name}` must hold class ids in [0, {num_classes}). Re-encode the labels "
            "(sklearn.preprocessing.LabelEncoder) or raise `num_classes`. "
            f"Received: {name} values in [{lo:g}, {hi:g}] with "
            f"num_classes={num_classes}"
        )
    return arr.astype("int64")


def check_num_classes(num_classes, task):
    if task not in TASKS:
        raise ValueError(f"`task` must be one of {TASKS}. Received: task={task!r}")
    if task == "regression":
        if num_classes is None:
            return 1
        if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(
                "For task='regression', `num_classes` is the number of targets "
                f"(>= 1) or None. Received: num_classes={num_classes!r}"
            )
        return int(num_classes)
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, (int, np.integer))
        or num_classes < 2
    ):
        raise ValueError(
            f"Classification needs `num_classes` >= 2 (an integer); for one real "
            f"output use task='regression'. Received: num_classes={num_classes!r}"
        )
    if task == "binary" and num_classes != 2:
        raise ValueError(
            "task='binary' is for two classes. Use task='classification' for "
            f"more. Received: num_classes={num_classes}"
        )
    return int(num_classes)


def check_positive_ints(value, name, allow_empty=True):
    if isinstance(value, (int, np.integer)):
        value = (value,)
    try:
        value = tuple(value)
    except TypeError:
        raise TypeError(
            f"`{name}` must be a list of positive integers. Received: {name}={value!r}"
        ) from None
    if (not allow_empty and not value) or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
        for v in value
    ):
        raise ValueError(
            f"`{name}` must be a {'non-empty ' if not allow_empty else ''}list of "
            f"positive integers. Received: {name}={value!r}"
        )
    return tuple(int(v) for v in value)


def check_fraction(value, name, upper=1.0):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (0.0 <= value < upper)
    ):
        raise ValueError(
            f"`{name}` must be a number in [0, {upper:g}). Received: {name}={value!r}"
        )
    return float(value)


def infer_task(y, task):
    """Returns "classification" or "regression" for `task="auto"`."""
    if task != "auto":
        if task not in ("classification", "regression"):
            raise ValueError(
                "`task` must be 'auto', 'classification' or 'regression'. "
                f"Received: task={task!r}"
            )
        return task
    arr = np.asarray(y)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        return "classification"  # check_labels explains string labels
    arr = arr.astype("float64")
    if not np.isfinite(arr).all():
        return "classification"  # check_labels reports the NaNs
    integral = np.all(arr == np.round(arr)) and arr.ndim == 1
    few = integral and len(np.unique(arr)) <= MAX_CLASSES
    return "classification" if few and arr.min() >= 0 else "regression"


def check_targets(y, task, length=None):
    """Infers the task and checks `y` for it; numpy only, cheap.

    Returns:
        `(task, y, num_classes)`: `"classification"` or `"regression"`, the
        checked labels (int64) or targets (float32), and the number of
        classes (1 for regression).
    """
    task = infer_task(y, task)
    if task == "regression":
        return task, check_labels(y, task=task, num_classes=1, length=length), 1
    y0 = np.asarray(y)
    num_classes = 2
    if np.issubdtype(y0.dtype, np.number) and y0.size and np.isfinite(y0).all():
        num_classes = max(int(np.nanmax(y0)) + 1, 2)
    y = check_labels(y, task=task, num_classes=num_classes, length=length)
    present = np.unique(y)
    if len(present) < 2:
        raise ValueError(
            "Classification needs at least two classes, but every label is "
            f"{present[0]}. Check the target column, or pass task='regression'. "
            f"Received: y with 1 distinct value ({present[0]})"
        )
    return task, y, num_classes
