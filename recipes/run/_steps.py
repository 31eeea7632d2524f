"""The steps of `recipes.babysit` (private): data, splits, run folder, rates."""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import tempfile
import time

import numpy as np

from recipes import _validate
from recipes.run._defaults import default_model  # noqa: F401 (cli)

MAX_CLASSES = _validate.MAX_CLASSES


@dataclasses.dataclass
class Splits:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    task: str
    num_classes: int
    class_names: list
    table: object = None  # the fitted TablePreprocessor of a DataFrame
    target_name: str | None = None


def is_frame(x):
    """True for a pandas DataFrame (checked without importing pandas)."""
    return hasattr(x, "iloc") and hasattr(x, "columns")


def frame_rows(x, x_test, validation_data):
    """Row numbers standing in for DataFrames until the splits are made.

    Returns `(rows, rows_test, validation_data, frame)`: `frame` stacks every
    DataFrame given, and each `rows*` array holds row numbers into it.
    """
    import pandas as pd

    frames, offset, out = [], 0, []
    for part in (x, x_test, None if validation_data is None else validation_data[0]):
        if part is None:
            out.append(None)
            continue
        if not is_frame(part):
            raise TypeError(
                "With a DataFrame `x`, `x_test` and `validation_data[0]` must be "
                f"DataFrames too. Received: a {type(part).__name__}"
            )
        frames.append(part.reset_index(drop=True))
        out.append(np.arange(offset, offset + len(part), dtype="float32")[:, None])
        offset += len(part)
    if not len(x):
        raise ValueError(
            "The table has no rows. Pass a DataFrame with at least a few rows. "
            "Received: x with 0 rows"
        )
    val = None if validation_data is None else (out[2], validation_data[1])
    return out[0], out[1], val, pd.concat(frames, ignore_index=True)


def encode_frame(splits, frame, *, table, target_name):
    """Fits a copy of `table` (an unfitted `TablePreprocessor`, or `None` for
    the defaults) on the training rows; encodes each split."""
    from recipes.models.tabular import TablePreprocessor

    def rows(part):
        return frame.iloc[part[:, 0].astype("int64")]

    # A copy: the caller's (unfitted, checked at the door) stays unfitted.
    table = TablePreprocessor() if table is None else copy.deepcopy(table)
    table.fit(rows(splits.x_train))
    splits.x_train = table.transform(rows(splits.x_train))
    splits.x_val = table.transform(rows(splits.x_val))
    if splits.x_test is not None:
        splits.x_test = table.transform(rows(splits.x_test))
    splits.table, splits.target_name = table, target_name
    return splits


def infer_task(y, task):
    """Returns "classification" or "regression" for `task="auto"`."""
    return _validate.infer_task(y, task)


def _stratify(y, task):
    if task != "classification":
        return None
    counts = np.bincount(y.astype(int))
    return y if counts[counts > 0].min() >= 2 else None


def _split(x, y, fraction, task, seed):
    from sklearn.model_selection import train_test_split

    return train_test_split(
        x, y, test_size=fraction, stratify=_stratify(y, task), random_state=seed
    )


def _held_out(x_part, y_part, name, x, task, num_classes):
    """Checks held-out inputs (shaped like `x`) and labels (`x_<name>`,
    `y_<name>`)."""
    x_part = _validate.check_x(x_part, f"x_{name}", input_shape=x.shape[1:])
    y_part = _validate.check_labels(
        y_part,
        task=task,
        num_classes=num_classes,
        name=f"y_{name}",
        length=len(x_part),
    )
    return x_part, y_part


def prepare_data(
    x,
    y,
    *,
    x_test,
    y_test,
    validation_data,
    validation_split,
    test_split,
    task,
    class_names,
    seed,
):
    """Validates the arrays, infers the task and makes the three splits."""
    x = _validate.check_x(x, "x")
    task, y, num_classes = _validate.check_targets(y, task, length=len(x))
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must have one name per class ({num_classes}). "
            f"Received: class_names={list(class_names)!r}"
        )
    if class_names is None:
        class_names = [str(i) for i in range(num_classes)]
    _validate.check_fraction(test_split, "test_split")
    if x_test is not None or y_test is not None:
        if x_test is None or y_test is None:
            raise ValueError(
                "Pass both `x_test` and `y_test`, or neither. "
                f"Received: x_test is None={x_test is None}, "
                f"y_test is None={y_test is None}"
            )
        x_test, y_test = _held_out(x_test, y_test, "test", x, task, num_classes)
    elif test_split > 0:
        x, x_test, y, y_test = _split(x, y, test_split, task, seed)
    if validation_data is not None:
        if not (
            isinstance(validation_data, (tuple, list)) and len(validation_data) == 2
        ):
            raise ValueError(
                "`validation_data` must be a tuple `(x_val, y_val)`. "
                f"Received: validation_data of type {type(validation_data).__name__}"
            )
        x_val, y_val = _held_out(*validation_data, "val", x, task, num_classes)
    else:
        _validate.check_fraction(validation_split, "validation_split")
        if validation_split <= 0:
            raise ValueError(
                "The recipe needs a validation split to babysit generalization. "
                "Pass `validation_data` or a `validation_split` in (0, 1). "
                f"Received: validation_split={validation_split!r}"
            )
        x, x_val, y, y_val = _split(x, y, validation_split, task, seed)
    if task == "classification" and len(np.unique(y)) < 2:
        raise ValueError(
            "After splitting, the training split holds a single class. Provide "
            f"more examples of each class. Received: {len(x)} training examples"
        )
    return Splits(
        x,
        y,
        x_val,
        y_val,
        x_test,
        y_test,
        task,
        num_classes,
        [str(c) for c in class_names],
    )


def open_run_dir(output_dir):
    """Checks `output_dir` and returns `(final_path, temporary_path)`.

    The run is written into a hidden temporary folder next to the final one
    and renamed at the very end, so a failed run never looks finished.
    """
    if output_dir is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        output_dir, n = os.path.join("runs", stamp), 1
        while os.path.exists(output_dir):  # two runs in the same second
            n += 1
            output_dir = os.path.join("runs", f"{stamp}-{n}")
    final = os.path.abspath(os.fspath(output_dir))
    if os.path.exists(final) and (not os.path.isdir(final) or os.listdir(final)):
        raise ValueError(
            f"The output folder {final} already exists and is not empty; a run "
            "never overwrites another. Pass a new `output_dir`. "
            f"Received: output_dir={os.fspath(output_dir)!r}"
        )
    parent = os.path.dirname(final)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(
            prefix=f".{os.path.basename(final)}.partial-", dir=parent
        )
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
    except OSError as e:
        raise ValueError(
            f"Cannot write the run folder in {parent} ({e.strerror or e}). Pass "
            "an `output_dir` you can write to. "
            f"Received: output_dir={os.fspath(output_dir)!r}"
        ) from None
    return final, tmp


def close_run_dir(tmp, final):
    """Moves the finished run into place."""
    if os.path.isdir(final):
        os.rmdir(final)  # checked empty in open_run_dir
    os.replace(tmp, final)
    return final


def discard_run_dir(tmp):
    shutil.rmtree(tmp, ignore_errors=True)


def set_learning_rate(model, learning_rate):
    """Sets the optimizer's rate of a compiled model; False if impossible."""
    rate = getattr(getattr(model, "optimizer", None), "learning_rate", None)
    if rate is None or not hasattr(rate, "assign"):
        return False
    rate.assign(float(learning_rate))
    return True
