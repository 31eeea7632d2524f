"""Reading variables mid-epoch without costing the run (private).

On JAX the trainer keeps the weights, optimizer and metric state outside the
model during an epoch; `Callback.model` syncs all of it back on every access
(and the next step fetches it again), about 10 ms each time. The few reads
the monitors make mid-epoch (a running loss, a kernel snapshot) take the
current values from the trainer's state instead, without a sync, and keep
a device copy (`Reader.snapshot`) that is turned into numpy only at the end
of the epoch: JAX dispatches steps asynchronously, and converting a value at once
would wait for the step in flight. On the other backends the variables are
current and are read directly.

Example:

>>> import keras
>>> from callbacks._state import Reader
>>> layer = keras.layers.Dense(2)
>>> layer.build((None, 3))
>>> [tuple(v.shape) for v in Reader(None, [layer.kernel]).snapshot()]
[(3, 2)]
"""

from __future__ import annotations

import keras
import numpy as np

_GROUPS = ("trainable_variables", "non_trainable_variables", "metrics_variables")


def host_value(variable):
    """A variable's value in numpy, the cheapest way: on TensorFlow
    `Variable.numpy()` (a copy) takes half the time of `convert_to_numpy`
    (~0.15 ms for a 784 x 256 kernel); JAX's `numpy()` warns under numpy 2.
    On PyTorch the array shares the parameter's memory."""
    if keras.backend.backend() == "tensorflow":
        return variable.numpy()
    return keras.ops.convert_to_numpy(variable)


def all_finite(variables):
    """Whether every value of `variables` is finite (one numpy copy each:
    cheaper than `isfinite` device ops, see `benchmarks/check_costs.py`)."""
    return all(np.isfinite(host_value(v)).all() for v in variables)


def raw_model(callback):
    """The callback's model without triggering JAX's state sync."""
    return getattr(callback, "_model", None)


class Reader:
    """Copies chosen variables mid-epoch, without a JAX state sync or wait.

    Built at the start of an epoch (when the model holds its state): it
    finds once where each variable sits in the JAX trainer's state, so each
    read is a lookup and a device copy, not a walk over the model's layers
    (about 3 ms a read on a small MLP). Turn the copies into numpy with
    `keras.ops.convert_to_numpy` at the end of the epoch; on TensorFlow and
    PyTorch they are numpy copies already.
    """

    def __init__(self, model, variables):
        self.model = model
        self.variables = list(variables)
        self._where = None
        if keras.backend.backend() == "jax" and model is not None:
            found = {}
            for group in _GROUPS:
                for i, v in enumerate(getattr(model, group, None) or []):
                    found.setdefault(id(v), (group, i))
            self._where = [found.get(id(v)) for v in self.variables]

    def snapshot(self):
        """Copies of the variables' current values."""
        if self._where is None:
            values = [host_value(v) for v in self.variables]
            if keras.backend.backend() == "tensorflow":
                return values  # a read is a copy already
            return [np.array(a, copy=True) for a in values]  # PyTorch: views
        import jax  # only on the JAX backend

        state = getattr(self.model, "_jax_state", None)
        synced = getattr(self.model, "_jax_state_synced", True)
        values = []
        for v, where in zip(self.variables, self._where):
            held = None if synced or not state or where is None else state.get(where[0])
            values.append(v.value if held is None else held[where[1]])
        # Copies (the next step donates the state's buffers), in one call:
        # a third of the time of one `jnp.array(v, copy=True)` per variable.
        try:
            return list(jax.device_put(values, may_alias=False))
        except TypeError:  # jax < 0.4.31 has no `may_alias`
            return [jax.numpy.array(v, copy=True) for v in values]
