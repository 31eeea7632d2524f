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
