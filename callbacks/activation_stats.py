"""`ActivationStats`: saturated tanh/sigmoid units and shrinking activations.

Example:

>>> import numpy as np, keras
>>> from callbacks import ActivationStats
>>> x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
>>> y = (x[:, 0] > 0).astype("int32")
>>> init = keras.initializers.RandomNormal(stddev=3.0)
>>> model = keras.Sequential([keras.Input((8,))] + [
...     keras.layers.Dense(64, activation="tanh", kernel_initializer=init)
...     for _ in range(4)] + [keras.layers.Dense(2, activation="softmax")])
>>> model.compile("sgd", "sparse_categorical_crossentropy")
>>> stats = ActivationStats(verbose=0)
>>> _ = model.fit(x, y, epochs=1, verbose=0, callbacks=[stats])
>>> stats.findings[0].check
'saturated_units'
"""

from __future__ import annotations

import numpy as np

from callbacks._base import check_positive, worst_layers
from callbacks._probe import ProbeMonitor

# A layer whose std is below this share of the largest one's is constant
# (mostly dead): the depth trend does not start there.
_TINY = 1e-6
_LIMITS = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0)}


def _shown(std):
    return f"{std:.3g}" if np.isfinite(std) else "beyond float16's range"


class ActivationStats(ProbeMonitor):
    """Watches activation statistics layer by layer on a fixed probe sample.

    Two failures of the lecture: tanh/sigmoid units pinned near their limits
    (weights initialized too large: saturated units pass no gradient) and the
    activation spread collapsing or exploding from layer to layer (weights
    initialized too small or too large for the depth).

    Writes `saturated_fraction`, `saturated_fraction/<layer>` (tanh/sigmoid
    layers) and `activation_std/<layer>` (every watched layer) to `logs`.
    Saturated layers make one finding a check, naming how many and the
    worst three (its `layer` and `value` the worst one's).
    Checks `saturated_units` and `activation_std`, before training and after
    epochs 0, 1, 3, 7, 15, ... and the last one (NaN in the logs between).

    Args:
        probe_data: Inputs to probe with, or `None` to sample the training
            data of `fit`. Defaults to `None`.
        probe_size: Most samples in the probe. Defaults to `1024`.
        saturation_threshold: Share of a layer's activations within
            `tolerance` of a limit that raises a warning. Defaults to `0.4`.
        tolerance: Distance to the limit (tanh: +-1, sigmoid: 0/1) counted as
            saturated. Defaults to `0.02`.
        std_ratio: The last watched layer's activation std below
            `1/std_ratio` (or above `std_ratio`) times the first one's raises a
            warning (layers in graph order, nested models' included; layers
            whose std is 0, or a millionth of the largest, are skipped at the
            start, and a dead last layer at the end). Defaults to `100.0`.
        verbose: 0, 1 or 2. Defaults to `1`.
        stop_on: `None`, `"error"` or `"warning"`. Defaults to `None`.

    Raises:
        ValueError: If a threshold is out of range.
    """

    def __init__(
        self,
        probe_data=None,
        probe_size=1024,
        saturation_threshold=0.4,
        tolerance=0.02,
        std_ratio=100.0,
        verbose=1,
        stop_on=None,
    ):
        super().__init__(probe_data, probe_size, verbose=verbose, stop_on=stop_on)
        check_positive("saturation_threshold", saturation_threshold)
        check_positive("tolerance", tolerance)
        check_positive("std_ratio", std_ratio)
        if saturation_threshold > 1 or tolerance >= 0.5 or std_ratio <= 1:
            raise ValueError(
                "Expected saturation_threshold in (0, 1], tolerance in (0, 0.5) "
                "and std_ratio > 1. Received: "
                f"saturation_threshold={saturation_threshold!r}, "
                f"tolerance={tolerance!r}, std_ratio={std_ratio!r}"
            )
        self.saturation_threshold = saturation_threshold
        self.tolerance = tolerance
        self.std_ratio = std_ratio

    def get_config(self):
        config = super().get_config()
        config.update(
            saturation_threshold=self.saturation_threshold,
            tolerance=self.tolerance,
            std_ratio=self.std_ratio,
        )
        return config

    def keys(self):
        layers = self.probe.layers
        bounded = [name for name, kind in layers if kind in _LIMITS]
        return (
            [f"activation_std/{name}" for name, _ in layers]
            + [f"saturated_fraction/{name}" for name in bounded]
            + ["saturated_fraction"] * bool(bounded)
        )

    def check(self, epoch, logs, acts):
        stds, sat_total, sat_count, hits = [], 0.0, 0, []
        for (name, kind), a in zip(self.probe.layers, acts):
            if not np.isfinite(a).all():
                # a layer that overflowed float16: its spread is beyond
                # float16's range (inf for the check, NaN in the logs)
                stds.append((name, float("inf")))
                continue
            std = float(a.std())
            stds.append((name, std))
            logs[f"activation_std/{name}"] = std
            if kind not in _LIMITS:
                continue
            low, high = _LIMITS[kind]
            pinned = (a <= low + self.tolerance) | (a >= high - self.tolerance)
            frac = float(pinned.mean())
            logs[f"saturated_fraction/{name}"] = frac
            sat_total += frac
            sat_count += 1
            if frac >= self.saturation_threshold:
                hits.append((name, frac, kind))
        if sat_count:
            logs["saturated_fraction"] = sat_total / sat_count
        if hits:
            self._saturated(epoch, hits, sat_count)
        self._spread(epoch, stds)

    def _saturated(self, epoch, hits, layers):
        kinds = {name: kind for name, _, kind in hits}
        hits = sorted(((name, frac) for name, frac, _ in hits), key=lambda h: -h[1])
        if len(hits) == 1:
            name, frac = hits[0]
            message = (
                f"{frac:.0%} of the {kinds[name]} activations of {name} sit at "
                "their limits, where the gradient is ~0."
            )
        else:
            worst = worst_layers(hits, lambda frac: f"{frac:.0%}")
            message = (
                f"In {len(hits)} of {layers} tanh/sigmoid layers at least "
                f"{self.saturation_threshold:.0%} of the activations sit at "
                f"their limits, where the gradient is ~0; worst: {worst}."
            )
        self.find_layers(
            "saturated_units",
            epoch,
            "warning",
            hits,
            message=message,
            threshold=self.saturation_threshold,
            suggestion="Use Xavier/Glorot initialization (or He with ReLU), "
            "normalize the inputs, add BatchNormalization, or switch hidden "
            "layers to ReLU.",
        )

    def _spread(self, epoch, stds):
        """The `activation_std` check: the std from the first watched layer
        to the last, in graph order. It starts at the first layer that
        varies (std above `_TINY` times the largest: a dead or nearly
        constant layer has no spread to start from) and ends at the last
        layer whose std is not 0 (a dead layer is dead_units' finding), so
        no ratio is ever taken to a zero std."""
        if len(stds) < 3:
            return
        # a layer that overflowed float16 (inf) may end the trend, not start it
        top = max((std for _, std in stds if np.isfinite(std)), default=0.0)
        varying = [
            i
            for i, (_, std) in enumerate(stds)
            if np.isfinite(std) and std > _TINY * top
        ]
        moving = [i for i, (_, std) in enumerate(stds) if std > 0.0]
        if not varying or moving[-1] <= varying[0]:
            return
        # a dead last layer (std 0) is dead_units' finding: end before it
        (first_name, first), (last_name, last) = stds[varying[0]], stds[moving[-1]]
        ratio = last / first
        if not 1.0 / self.std_ratio <= ratio <= self.std_ratio:
            shrink = ratio < 1.0
            self.find(
                "activation_std",
                epoch,
                "warning",
                layer=last_name,
                value=ratio,
                threshold=1.0 / self.std_ratio if shrink else self.std_ratio,
                message=f"The activation std goes from {first:.3g} in "
                f"{first_name} to {_shown(last)} in {last_name}: activations "
                f"{'collapse toward 0' if shrink else 'explode'} with depth.",
                suggestion="Use He initialization for ReLU (Xavier for "
                "tanh), or add BatchNormalization after each Dense/Conv.",
            )
