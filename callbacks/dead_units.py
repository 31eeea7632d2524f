"""`DeadUnitMonitor`: finds ReLU units that never activate.

Example:

>>> import numpy as np, keras
>>> from callbacks import DeadUnitMonitor
>>> x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
>>> y = (x[:, 0] > 0).astype("int32")
>>> model = keras.Sequential([
...     keras.Input((8,)),
...     keras.layers.Dense(16, activation="relu", bias_initializer=keras.initializers.Constant(-5.0)),
...     keras.layers.Dense(2, activation="softmax")])
>>> model.compile("adam", "sparse_categorical_crossentropy")
>>> monitor = DeadUnitMonitor(verbose=0)
>>> _ = model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
>>> monitor.findings[0].check
'dead_units'
"""  # noqa: E501

from __future__ import annotations

import numpy as np

from callbacks._base import check_positive, worst_layers
from callbacks._probe import ProbeMonitor


class DeadUnitMonitor(ProbeMonitor):
    """Reports ReLU units whose output is exactly zero on every probe sample.

    A dead unit (a Dense unit or a conv channel) passes no gradient, so it
    never recovers. Typical causes: a learning rate too high for plain ReLU,
    a large negative bias, or unnormalized inputs. The check runs in
    inference mode on a fixed probe sample before training and after epochs
    0, 1, 3, 7, 15, ... and the last one (dead units show early and stay, and
    a longer fit pays less per epoch; the other epochs log NaN); it works
    with `activation="relu"` inside Dense/Conv layers and with
    separate `ReLU`/`Activation("relu")` layers. NaN activations are reported
    as `nan_loss`, never as dead units.

    One finding a check, however many layers are hit: on a big model (a
    nested `keras.applications` base) it says how many ReLU layers have dead
    units and names the worst three; its `layer`, `value` and severity are
    the worst layer's. A later check makes a new finding only when it finds
    a layer not reported yet. Layers are in graph order, a nested model's
    where it sits in the outer one.

    Writes `dead_fraction` (all watched units) and `dead_fraction/<layer>` to
    the epoch `logs`.

    Args:
        probe_data: Inputs to probe with, or `None` to sample the training
            data of `fit`. Defaults to `None`.
        probe_size: Most samples in the probe. Defaults to `1024`.
        threshold: Dead share of a layer's units that raises a warning.
            Defaults to `0.25`.
        error_threshold: Dead share (of a layer or overall) that raises an
            error; a fully dead layer is always an error. Defaults to `0.5`.
        verbose: 0 silent, 1 prints warnings/errors, 2 also info. Defaults to
            `1`.
        stop_on: `None`, `"error"` or `"warning"`: stop training at the first
            finding that severe. Defaults to `None`.

    Raises:
        ValueError: If a threshold is not in (0, 1].
    """

    def __init__(
        self,
        probe_data=None,
        probe_size=1024,
        threshold=0.25,
        error_threshold=0.5,
        verbose=1,
        stop_on=None,
    ):
        super().__init__(probe_data, probe_size, verbose=verbose, stop_on=stop_on)
        for name, value in (
            ("threshold", threshold),
            ("error_threshold", error_threshold),
        ):
            check_positive(name, value)
            if value > 1:
                raise ValueError(
                    f"`{name}` is a share of units and must be in (0, 1]. "
                    f"Received: {name}={value!r}"
                )
        self.threshold = threshold
        self.error_threshold = error_threshold

    def get_config(self):
        config = super().get_config()
        config.update(threshold=self.threshold, error_threshold=self.error_threshold)
        return config

    def keys(self):
        names = [name for name, kind in self.probe.layers if kind == "relu"]
        return [f"dead_fraction/{n}" for n in names] + ["dead_fraction"] * bool(names)

    def check(self, epoch, logs, acts):
        dead_total, units_total, layers, hits = 0, 0, 0, []
        for (name, kind), a in zip(self.probe.layers, acts):
            if kind != "relu" or not np.isfinite(a).all():
                continue  # float16 overflow: not measured (NaN)
            dead = np.all(a == 0, axis=0)
            frac = float(dead.mean())
            dead_total += int(dead.sum())
            units_total += dead.size
            layers += 1
            logs[f"dead_fraction/{name}"] = frac
            if frac >= self.threshold:
                hits.append((name, frac))
        if units_total:
            logs["dead_fraction"] = dead_total / units_total
        if not hits:
            return
        hits.sort(key=lambda hit: -hit[1])  # worst first, graph order among ties
        worst = hits[0][1]
        severe = worst >= 1.0 or worst >= self.error_threshold
        self.find_layers(
            "dead_units",
            epoch,
            "error" if severe else "warning",
            hits,
            message=_describe(hits, layers, self.threshold),
            threshold=self.error_threshold if severe else self.threshold,
            suggestion="Lower the learning rate, use He initialization with zero "
            "biases, add BatchNormalization before the ReLU, normalize the "
            "inputs, or use LeakyReLU.",
        )


def _describe(hits, layers, threshold):
    """The message of a `dead_units` finding on the layers `hits`."""
    if len(hits) == 1:
        name, frac = hits[0]
        return (
            f"{frac:.0%} of the units of {name} output exactly 0 for every "
            "probe sample (dead ReLUs pass no gradient)."
        )
    worst = worst_layers(hits, lambda frac: f"{frac:.0%}")
    return (
        f"{len(hits)} of {layers} ReLU layers have dead units (at least "
        f"{threshold:.0%} of their units output exactly 0 for every probe "
        f"sample; dead ReLUs pass no gradient); worst: {worst}."
    )
