"""The fixes that set a layer option across the model (private; see `fixes`):
BatchNormalization momentum, dropout, L2 weight decay. Each sets its value
where the option exists, in either direction (weaker or stronger), and
dropout and L2 add it where it does not.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import keras

from recipes.repair._edit import WEIGHTED, from_config, hidden_layers, rebuild
from recipes.repair.fixes import Change, Fix, LayerFix


def _of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


@dataclasses.dataclass(frozen=True)
class BatchNormMomentum(LayerFix):
    """Sets every BatchNormalization's `momentum` (lower: the moving
    statistics that inference uses catch up in fewer steps)."""

    momentum: float = 0.9
    name: ClassVar[str] = "batchnorm_momentum"
    level: ClassVar[str] = "model"

    def _layers(self, plan):
        return [
            layer
            for layer in _of(plan.model, keras.layers.BatchNormalization)
            if layer.momentum != self.momentum
        ]

    def _edited(self, layer):
        return from_config(layer, momentum=self.momentum)

    def change(self, plan):
        old = sorted({layer.momentum for layer in self._layers(plan)})
        return Change(
            self.name,
            self.level,
            f"BatchNormalization momentum {'/'.join(f'{m:g}' for m in old)} -> "
            f"{self.momentum:g}.",
            f"keras.layers.BatchNormalization(momentum={self.momentum:g})",
        )


@dataclasses.dataclass(frozen=True)
class Dropout(Fix):
    """Sets every Dropout layer's rate to `rate`; with none, adds
    `Dropout(rate)` after each hidden layer."""

    rate: float = 0.3
    name: ClassVar[str] = "dropout"
    level: ClassVar[str] = "model"

    def _existing(self, plan):
        return _of(plan.model, keras.layers.Dropout)

    def _applies(self, plan):
        existing = self._existing(plan)
        if existing:
            return any(layer.rate != self.rate for layer in existing)
        return self.rate > 0 and bool(hidden_layers(plan.model))

    def apply(self, plan):
        if self._existing(plan):
            model = rebuild(
                plan.model,
                replace=lambda layer: (
                    from_config(layer, rate=self.rate)
                    if isinstance(layer, keras.layers.Dropout)
                    else None
                ),
            )
            return plan.replace(model=model)
        hidden = {id(layer) for layer in hidden_layers(plan.model)}
        model = rebuild(
            plan.model,
            after=lambda layer: (
                [keras.layers.Dropout(self.rate, name=f"{layer.name}_dropout")]
                if id(layer) in hidden
                else []
            ),
        )
        return plan.replace(model=model)

    def change(self, plan):
        existing = self._existing(plan)
        if existing:
            old = "/".join(f"{r:g}" for r in sorted({x.rate for x in existing}))
            text = f"Dropout rate {old} -> {self.rate:g}."
        else:
            text = f"Dropout({self.rate:g}) after each hidden layer."
        return Change(
            self.name,
            self.level,
            text,
            f"keras.layers.Dropout({self.rate:g})  # after each hidden layer",
        )


def _l2(layer):
    reg = getattr(layer, "kernel_regularizer", None)
    if reg is None:
        return 0.0
    return float(reg.get_config().get("l2", 0.0) or 0.0)


@dataclasses.dataclass(frozen=True)
class L2(LayerFix):
    """Sets the L2 weight penalty of every Dense/Conv kernel to `factor`
    (`0` removes it)."""

    factor: float = 1e-4
    name: ClassVar[str] = "l2"
    level: ClassVar[str] = "model"

    def _layers(self, plan):
        return [
            layer
            for layer in plan.model.layers
            if isinstance(layer, WEIGHTED) and abs(_l2(layer) - self.factor) > 1e-12
        ]

    def _edited(self, layer):
        reg = keras.regularizers.L2(self.factor) if self.factor else None
        return from_config(
            layer,
            kernel_regularizer=keras.regularizers.serialize(reg) if reg else None,
        )

    def change(self, plan):
        old = sorted({_l2(layer) for layer in self._layers(plan)})
        olds = "/".join(f"{v:g}" for v in old)
        code = (
            f"kernel_regularizer=keras.regularizers.L2({self.factor:g})"
            if self.factor
            else "kernel_regularizer=None"
        )
        return Change(
            self.name,
            self.level,
            f"L2 weight penalty {olds} -> {self.factor:g} on every kernel.",
            f"{code}  # in every Dense/Conv layer",
        )
