"""`UpdateRatioMonitor`: the update/weight magnitude ratio of each kernel.

Example:

>>> import numpy as np, keras
>>> from callbacks import UpdateRatioMonitor
>>> x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
>>> y = (x[:, 0] > 0).astype("int32")
>>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, "relu"),
...                           keras.layers.Dense(2, activation="softmax")])
>>> model.compile(keras.optimizers.SGD(1e-7), "sparse_categorical_crossentropy")
>>> monitor = UpdateRatioMonitor(verbose=0)
>>> _ = model.fit(x, y, epochs=4, batch_size=4, verbose=0, callbacks=[monitor])
>>> monitor.findings[0].check
'update_ratio'
"""

from __future__ import annotations

import keras
import numpy as np

from callbacks._base import MonitorBase, check_positive, worst_layers
from callbacks._logs import adaptive_optimizer, learning_rate
from callbacks._state import Reader, raw_model
from callbacks.layers import walk_layers

# Steps before a ratio is judged: an output kernel started tiny (at the class
# priors) has huge relative updates for its first steps, however many epochs
# those take on a small table.
WARMUP_STEPS = 200


def kernel_layers(model):
    """Yields `(name, kernel_variable)` for each layer with a trainable kernel."""
    for layer in walk_layers(model):
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and getattr(kernel, "trainable", False):
            yield layer.name, kernel


class UpdateRatioMonitor(MonitorBase):
    """Measures ||delta W|| / ||W|| per layer on a few sampled batches.

    The lecture's rule of thumb: the ratio of the update magnitude to the
    weight magnitude should be around 1e-3. Far above, the learning rate is
    too high; far below, too low. Only kernels are measured (zero-initialized
    biases give meaningless ratios), and only on `samples` evenly spaced
    batches per epoch, so training is not slowed down.

    Writes `update_ratio/<layer>` (median over the sampled batches) and
    `update_ratio` (median over layers) to the epoch `logs`, every epoch (NaN
    where a kernel could not be measured). Check:
    `update_ratio`, from the second epoch and 200 optimizer steps on (before,
    it only logs: a layer started near zero has huge relative updates at
    first): one finding an epoch for the kernels above `high`, one for those
    below `low`, naming how many and the worst three. A kernel that does not
    move at all has a zero gradient, which the message says is not the
    learning rate's doing.

    Args:
        samples: Batches sampled per epoch. Defaults to `2`.
        low: Ratio below which the learning rate is called too low.
            Defaults to `1e-5`.
        high: Ratio above which the learning rate is called too high.
            Defaults to `0.1`.
        verbose: 0, 1 or 2. Defaults to `1`.
        stop_on: `None`, `"error"` or `"warning"`. Defaults to `None`.

    Raises:
        ValueError: If `low >= high` or an argument is not positive.
    """

    def __init__(self, samples=2, low=1e-5, high=0.1, verbose=1, stop_on=None):
        super().__init__(verbose=verbose, stop_on=stop_on)
        check_positive("samples", samples, integer=True)
        check_positive("low", low)
        check_positive("high", high)
        if low >= high:
            raise ValueError(
                "`low` must be smaller than `high`. Swap them. "
                f"Received: low={low!r}, high={high!r}"
            )
        self.samples = samples
        self.low = low
        self.high = high

    def get_config(self):
        config = super().get_config()
        config.update(samples=self.samples, low=self.low, high=self.high)
        return config

    def reset(self):
        super().reset()
        self._snap = None
        self._ratios = {}
        self._targets = []
        self._steps_done = 0
        self._last_batch = -1
        self._start_rate = None
        self._pending = []
        self._keys = []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 0:
            self._start_rate = learning_rate(self.model)
        steps = (self.params or {}).get("steps") or 2 * self.samples
        picks = np.linspace(0, steps, self.samples + 2)[1:-1].astype(int)
        self._targets = sorted(set(int(min(p, steps - 1)) for p in picks))
        self._ratios = {}
        self._snap = None
        self._pending = []
        self._reader = None  # built at the epoch's first read

    def on_train_batch_begin(self, batch, logs=None):
        self._last_batch = batch
        if self._snap is None and (not self._targets or batch < self._targets[0]):
            return  # the common case: one comparison per batch
        if self._snap is not None:
            self._measure(batch)
        if self._targets and batch >= self._targets[0]:
            while self._targets and batch >= self._targets[0]:
                self._targets.pop(0)
            self._snap = (batch, self._kernels())

    def _kernels(self):
        # Device copies, read without a JAX state sync and turned into numpy
        # at the end of the epoch (see `callbacks._state`).
        if self._reader is None:  # once per epoch: a model may be built late
            pairs = list(kernel_layers(raw_model(self)))
            self._names = [n for n, _ in pairs]
            self._reader = Reader(raw_model(self), [k for _, k in pairs])
        return self._names, self._reader.snapshot()

    def _measure(self, batch):
        start, before = self._snap
        self._snap = None
        self._pending.append((max(1, batch - start), before, self._kernels()))

    def _ratios_of_epoch(self):
        for steps, (names, old), (_, new) in self._pending:
            for name, a, b in zip(names, old, new):
                a = np.asarray(keras.ops.convert_to_numpy(a))
                b = np.asarray(keras.ops.convert_to_numpy(b))
                norm = float(np.linalg.norm(a))
                if norm == 0 or not np.isfinite(b).all():
                    continue
                ratio = float(np.linalg.norm(b - a)) / norm / steps
                self._ratios.setdefault(name, []).append(ratio)
        self._pending = []

    def on_epoch_end(self, epoch, logs=None):
        steps = (self.params or {}).get("steps")
        if self._snap is not None:
            self._measure(steps or self._snap[0] + 1)
        self._steps_done += steps or self._last_batch + 1
        self._ratios_of_epoch()
        medians = {n: float(np.median(r)) for n, r in self._ratios.items()}
        if not self._keys:  # the same columns every epoch, NaN if not measured
            names = [name for name, _ in kernel_layers(raw_model(self))]
            if names:
                self._keys = [f"update_ratio/{n}" for n in names] + ["update_ratio"]
        if logs is not None:
            for name, value in medians.items():
                logs[f"update_ratio/{name}"] = value
            if medians:
                logs["update_ratio"] = float(np.median(list(medians.values())))
            for key in self._keys:
                logs.setdefault(key, float("nan"))
        if not medians:
            return
        # Judged only after WARMUP_STEPS optimizer steps (and never in the
        # first epoch): early relative updates of small kernels are huge.
        if epoch == 0 or self._steps_done < WARMUP_STEPS:
            return
        rate = learning_rate(self.model)
        if self._start_rate is None:
            self._start_rate = learning_rate(self.model)
        # a schedule (ReduceLROnPlateau, decay) lowered the rate on purpose:
        # small, even zero-rounded, updates are what it asked for
        lowered = (
            rate is not None and self._start_rate and rate < 0.3 * self._start_rate
        )
        groups = {"high": [], "low": [], "still": []}
        for name, value in medians.items():
            if lowered and value < self.low:
                continue
            if value > self.high:
                groups["high"].append((name, value))
            elif value == 0:
                groups["still"].append((name, value))
            elif value < self.low:
                groups["low"].append((name, value))
        for way, hits in groups.items():
            if hits:  # worst first: the largest ratios, or the smallest
                hits.sort(key=lambda hit: -hit[1] if way == "high" else hit[1])
                self._report(epoch, way, hits, len(medians))

    def _report(self, epoch, way, hits, kernels):
        """One finding on the kernels `hits` whose ratio is `way` ("high",
        "low", or "still": exactly 0), out of `kernels` measured."""
        names = [name for name, _ in hits]
        if way == "still":
            if len(hits) == 1:
                what = f"The kernel of {names[0]} did not change at all: its"
            else:
                shown = ", ".join(names[:3]) + (", ..." if len(hits) > 3 else "")
                what = (
                    f"The kernels of {len(hits)} of {kernels} layers ({shown}) "
                    "did not change at all: their"
                )
            message = (
                f"{what} gradient is exactly zero, so something in the model "
                "blocks it (a frozen or dead path, or an output that cannot "
                "change); the learning rate is not the cause."
            )
            fix = (
                "Find what blocks the gradient: see output_activation and "
                "dead_units, and check that the layer is meant to be trainable."
            )
        else:
            high = way == "high"
            value = hits[0][1]
            too = f"the learning rate looks too {'high' if high else 'low'}."
            if len(hits) == 1:
                message = (
                    f"Updates of {names[0]} are {value:.1e} of its weights per "
                    f"step (healthy is ~1e-3): {too}"
                )
            else:
                bound = self.high if high else self.low
                worst = worst_layers(hits, lambda v: f"{v:.1e}")
                message = (
                    f"Updates of {len(hits)} of {kernels} kernels are "
                    f"{'above' if high else 'below'} {bound:g} of their weights "
                    f"per step ({'largest' if high else 'smallest'}: {worst}); "
                    f"healthy is ~1e-3: {too}"
                )
            rate = learning_rate(self.model)
            now = f" (it is {rate:.2g})" if rate is not None else ""
            if high:
                fix = f"Lower the learning rate 3-10x{now}."
            else:
                also = "" if adaptive_optimizer(self.model) else ", or use Adam"
                fix = f"Raise the learning rate 10x{now}{also}."
        self.find_layers(
            "update_ratio",
            epoch,
            "warning",
            hits,
            message=message,
            threshold=self.high if way == "high" else self.low,
            suggestion=fix,
        )
