"""Reading variables mid-epoch without costing the run (private).

On JAX the trainer keeps the weights, optimizer and metric state outside the
model during an epoch; `Callback.model` syncs all of it back on every access
(and the next step fetches it again), about 10 ms each time. The few reads
the monitors make mid-epoch (a running loss, a kernel snapshot) take the
current values from the trainer's state instead, without a sync, and keep
a device copy (`snapshot`) that is turned into numpy only at the end of the
epoch: JAX dispatches steps asynchronously, and converting a value at once
would wait for the step in flight. On the other backends the variables are
current and are read directly.

Example:

>>> import keras
import numpy as np
>>> from callbacks._state import current_values
>>> layer = keras.layers.Dense(2)
>>> layer.build((None, 3))
>>> [tuple(v.shape) for v in current_values(None, [layer.kernel])]
[(3, 2)]
"""

from __future__ import annotations

import keras
import numpy as np

_GROUPS = ("trainable_variables", "non_trainable_variables", "metrics_variables")


def raw_model(callback):
    """The callback's model without triggering JAX's state sync."""
    return getattr(callback, "_model", None)


def current_values(model, variables):
    """Returns the current value of each of `variables` (tensors)."""
    state = getattr(model, "_jax_state", None) if model is not None else None
    if (
        keras.backend.backend() != "jax"
        or not state
        or getattr(model, "_jax_state_synced", True)
    ):
        return [v.value for v in variables]
    values = {}
    for group in _GROUPS:
        held = state.get(group)
        if held:
            values.update(zip((id(v) for v in getattr(model, group)), held))
    return [values[id(v)] if id(v) in values else v.value for v in variables]


def snapshot(model, variables):
    """Copies of the current values of `variables`, without waiting on JAX.

    Turn them into numpy with `keras.ops.convert_to_numpy` later (the end of
    the epoch); on TensorFlow and PyTorch they are numpy already.
    """
    values = current_values(model, variables)
    if keras.backend.backend() == "jax":
        import jax.numpy as jnp  # only on the JAX backend

        return [jnp.array(v, copy=True) for v in values]  # before donation
    return [np.array(keras.ops.convert_to_numpy(v), copy=True) for v in values]
