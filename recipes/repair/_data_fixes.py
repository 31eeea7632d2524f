"""The fixes of the data (private; see `fixes`).

A data fault lives outside the model, in the user's pipeline. When the
transform can be inferred from the data, the repair makes it on its own
copy of the training and validation splits, prints it as code, and says
that the user must apply it to their pipeline too: the repaired model
expects the changed data.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from recipes.checks.rows import scale_shift, shifted
from recipes.repair._plan import output_units
from recipes.repair.fixes import Change, Fix

_PIPELINE = (
    "Apply the same change to your data pipeline (training, validation, test "
    "and new data): the repaired model expects it."
)


@dataclasses.dataclass(frozen=True)
class LabelsFromZero(Fix):
    """Integer class labels that start above 0 (1..C from a CSV) shifted to
    0..C-1, the ids a sparse cross-entropy and the output units expect."""

    name: ClassVar[str] = "labels_from_zero"
    level: ClassVar[str] = "data"

    def _offset(self, plan):
        y = np.asarray(plan.y)
        if plan.task != "classification" or y.ndim > 1 and y.shape[-1] > 1:
            return 0
        if not np.all(np.mod(y, 1) == 0):
            return 0
        low = int(min(y.min(), np.asarray(plan.y_val).min()))
        high = int(max(y.max(), np.asarray(plan.y_val).max()))
        units = output_units(plan.model)
        if low <= 0 or (units is not None and high - low >= units):
            return 0
        return low

    def _applies(self, plan):
        return self._offset(plan) > 0

    def apply(self, plan):
        k = self._offset(plan)
        return plan.replace(y=np.asarray(plan.y) - k, y_val=np.asarray(plan.y_val) - k)

    def change(self, plan):
        k = self._offset(plan)
        return Change(
            self.name,
            self.level,
            f"Labels shifted by -{k} to start at 0 (class ids 0..C-1).",
            f"y_train, y_val = y_train - {k}, y_val - {k}  # predicted id + {k} "
            "is the original label",
            _PIPELINE,
        )


@dataclasses.dataclass(frozen=True)
class TargetScaling(Fix):
    """A regression target standardized with the training split's mean and
    standard deviation (predictions are mapped back by `* std + mean`)."""

    name: ClassVar[str] = "target_scaling"
    level: ClassVar[str] = "data"

    def _stats(self, plan):
        y = np.asarray(plan.y, dtype="float64")
        return y.mean(axis=0), y.std(axis=0)

    def _applies(self, plan):
        if plan.task != "regression":
            return False
        mean, std = self._stats(plan)
        std = np.atleast_1d(std)
        return bool(
            np.all(std > 0)
            and (std.max() > 3 or std.min() < 0.3 or np.abs(mean).max() > 3 * std.max())
        )

    def apply(self, plan):
        mean, std = self._stats(plan)
        scale = lambda y: ((np.asarray(y, "float64") - mean) / std).astype("float32")  # noqa: E731
        return plan.replace(y=scale(plan.y), y_val=scale(plan.y_val))

    def change(self, plan):
        mean, std = self._stats(plan)
        m, s = np.round(mean, 4).tolist(), np.round(std, 4).tolist()
        return Change(
            self.name,
            self.level,
            "Target standardized with the training split's mean and std.",
            f"mean, std = {m}, {s}  # y_train.mean(0), y_train.std(0)\n"
            "y_train, y_val = (y_train - mean) / std, (y_val - mean) / std\n"
            "# predictions: model.predict(x) * std + mean",
            _PIPELINE,
        )


@dataclasses.dataclass(frozen=True)
class ImputeMissing(Fix):
    """Missing (NaN) input values replaced by the training split's column
    means."""

    name: ClassVar[str] = "impute_missing"
    level: ClassVar[str] = "data"

    def _applies(self, plan):
        return bool(np.isnan(plan.x).any() or np.isnan(plan.x_val).any())

    def apply(self, plan):
        means = np.nan_to_num(np.nanmean(plan.x, axis=0))

        def fill(x):
            return np.where(np.isnan(x), means, x).astype(plan.x.dtype)

        return plan.replace(x=fill(plan.x), x_val=fill(plan.x_val))

    def change(self, plan):
        return Change(
            self.name,
            self.level,
            "Missing input values filled with the training split's column means.",
            "means = np.nanmean(x_train, axis=0)\n"
            "x_train = np.where(np.isnan(x_train), means, x_train)  # and x_val",
            _PIPELINE,
        )


def _class_ids(y):
    y = np.asarray(y)
    return y.argmax(-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)


@dataclasses.dataclass(frozen=True)
class ShuffleRows(Fix):
    """Rows shuffled before `fit(validation_split=...)` takes the last ones:
    data ordered by label (or by time, by source) leave the validation split
    with labels training never saw, or in other proportions."""

    name: ClassVar[str] = "shuffle_rows"
    level: ClassVar[str] = "data"
    resplits: ClassVar[bool] = True

    def _applies(self, plan):
        if plan.split is None or plan.task not in (
            "classification",
            "binary",
            "regression",
        ):
            return False
        if plan.task == "regression":
            y, v = (
                np.asarray(a, "float64").reshape(len(a), -1)
                for a in (plan.y, plan.y_val)
            )
            std = y.std(0)
            return bool(
                np.any(
                    np.abs(v.mean(0) - y.mean(0)) > 0.5 * np.where(std > 0, std, np.inf)
                )
            )
        train, val = _class_ids(plan.y), _class_ids(plan.y_val)
        classes = np.union1d(np.unique(train), np.unique(val))
        p = np.array([np.mean(train == c) for c in classes])
        q = np.array([np.mean(val == c) for c in classes])
        return bool(0.5 * np.abs(p - q).sum() > 0.25)  # total variation

    def apply(self, plan):
        x = np.concatenate([plan.x, plan.x_val])
        y = np.concatenate([plan.y, plan.y_val])
        order = np.random.default_rng(0).permutation(len(x))
        x, y, n = x[order], y[order], len(plan.x)
        return plan.replace(x=x[:n], y=y[:n], x_val=x[n:], y_val=y[n:])

    def change(self, plan):
        return Change(
            self.name,
            self.level,
            "Rows shuffled before the validation split: the last "
            f"{plan.split:g} of the rows (which fit(validation_split=...) holds "
            "out) had labels unlike the training rows'.",
            "order = np.random.default_rng(0).permutation(len(x))\n"
            f"x, y = x[order], y[order]  # then model.fit(x, y, "
            f"validation_split={plan.split:g}, ...)",
            "Shuffle the rows in your pipeline too (or pass validation_data "
            "split with sklearn's train_test_split(..., stratify=y)); the "
            "before/after scores are on different validation rows.",
        )


@dataclasses.dataclass(frozen=True)
class HeldOutScaling(Fix):
    """Validation inputs mapped onto the training inputs' scale, feature by
    feature (their mean and std made the training split's): the transform a
    preprocessing fitted on the training split, forgotten on the validation
    data, would have made."""

    name: ClassVar[str] = "held_out_scaling"
    level: ClassVar[str] = "data"

    def _applies(self, plan):
        return len(plan.x_val) >= 10 and shifted(*scale_shift(plan.x, plan.x_val))

    def apply(self, plan):
        x, v = (np.asarray(a, "float64") for a in (plan.x, plan.x_val))
        axes = tuple(range(x.ndim - 1))
        std_v = v.std(axes)
        std_v = np.where(std_v > 0, std_v, 1.0)
        mapped = (v - v.mean(axes)) / std_v * x.std(axes) + x.mean(axes)
        return plan.replace(x_val=mapped.astype(plan.x_val.dtype))

    def change(self, plan):
        return Change(
            self.name,
            self.level,
            "Validation inputs put on the training inputs' scale (the training "
            "preprocessing had not been applied to them).",
            "x_val = (x_val - x_val.mean(0)) / x_val.std(0) * x_train.std(0) "
            "+ x_train.mean(0)\n"
            "# inferred; better: x_val = scaler.transform(x_val), the scaler "
            "fitted on x_train",
            _PIPELINE,
        )


@dataclasses.dataclass(frozen=True)
class BinaryLabels(Fix):
    """Two-class labels encoded as two other values (-1/+1 from an SVM
    export, 1/2 from a CSV) mapped to the 0/1 a sigmoid and a binary
    cross-entropy expect: the larger value is the positive class."""

    name: ClassVar[str] = "binary_labels"
    level: ClassVar[str] = "data"

    def _values(self, plan):
        both = np.concatenate([np.ravel(plan.y), np.ravel(plan.y_val)])
        return np.unique(both.astype("float64"))

    def _applies(self, plan):
        values = self._values(plan)
        return (
            plan.task == "binary"
            and len(values) == 2
            and not np.isin(values, (0.0, 1.0)).all()
        )

    def apply(self, plan):
        high = self._values(plan).max()

        def encode(y):
            return (np.asarray(y, "float64") == high).astype("float32")

        return plan.replace(y=encode(plan.y), y_val=encode(plan.y_val))

    def change(self, plan):
        low, high = (f"{v:g}" for v in self._values(plan))
        return Change(
            self.name,
            self.level,
            f"Labels {low}/{high} mapped to 0/1 (what a sigmoid output and a "
            "binary cross-entropy expect).",
            f"y_train = (y_train == {high}).astype('float32')  # {low} -> 0, "
            f"{high} -> 1\ny_val = (y_val == {high}).astype('float32')",
            _PIPELINE,
        )
