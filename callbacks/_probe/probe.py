"""The probe: a small fixed input sample and a model that exposes activations.

Shared by the activation and gradient monitors and `BabysitterTensorBoard`. The probe
model is built once per `fit`, traced once into a `tf.function` on the
TensorFlow backend when enough epochs are left, and called directly (never
through `predict`), so a probe of 1,024 samples costs well under 1 % of an
epoch.

Example:

>>> import numpy as np, keras
>>> from callbacks._probe import Probe
>>> model = keras.Sequential([keras.Input((4,)),
...                           keras.layers.Dense(3, "relu", name="hidden"),
...                           keras.layers.Dense(2)])
>>> probe = Probe(model, np.ones((8, 4), "float32"), None)
>>> probe.build() is None
True
>>> probe.layers
[('hidden', 'relu')]
"""

from __future__ import annotations

import keras
import numpy as np

from callbacks._probe.data import fit_arguments, take_sample
from callbacks._probe.model import NOT_BUILT, Stage
from callbacks._state import all_finite

_TRACE_PAYS = 6  # on TensorFlow, calls still to come for a trace to pay


def _compiled(stage, x):
    """Returns `call(calls_left=None)` computing `stage(x)`, one inference pass.

    On TensorFlow the pass is traced into a `tf.function` on a constant copy
    of `x` once at least `_TRACE_PAYS` calls are still to come (`calls_left`,
    the checked epochs left in the fit, see `checked_epoch`): tracing costs
    ~50 ms, and each later call then takes a third of the eager time (5 vs
    15 ms for 1,024 samples of a 784-256-256 MLP on 2 CPU cores). The call
    before training and a short fit's calls (a search trial, a fold) run
    eagerly and never pay for a trace. The trace runs with TensorFlow's
    logger at ERROR: one trace per `fit` is expected, and its "retracing"
    warning in a k-fold loop of fits would be noise. Other backends call
    eagerly.
    """

    def forward(x):
        return stage(x)

    def eager(calls_left=None):
        return forward(x)

    if keras.backend.backend() != "tensorflow":
        return eager
    import tensorflow as tf

    state = {"fn": None}

    def call(calls_left=None):
        if state["fn"] is not None:
            return state["fn"]()
        if calls_left is None or calls_left < _TRACE_PAYS:
            return eager()
        inputs = keras.tree.map_structure(tf.constant, x)
        traced = tf.function(forward)
        logger = tf.get_logger()
        level = logger.level
        logger.setLevel("ERROR")
        try:
            out = traced(inputs)
            state["fn"] = lambda: traced(inputs)
        except (TypeError, ValueError, NotImplementedError):
            state["fn"] = eager  # a layer that cannot be traced: stay eager
            out = eager()
        finally:
            logger.setLevel(level)
        return out

    return call


def _float32(tensor):
    a = np.asarray(keras.ops.convert_to_numpy(tensor))
    return a if a.dtype in (np.float32, np.float64) else a.astype("float32")


class Probe:
    """A fixed probe sample plus a model returning hidden activations.

    Watches the ReLU/tanh/sigmoid layers of the model and of the models
    nested in it (a Sequential or Functional block, a `keras.applications`
    base). A model built by its first batch (a Sequential without
    `keras.Input`) cannot be probed before training: `build` then returns
    `NOT_BUILT`, and is called again once the model is built.

    Args:
        model: The model being trained.
        x: Probe inputs (arrays, dict or list of arrays).
        y: Probe targets or None (needed by the gradient check only).
    """

    def __init__(self, model, x, y):
        self.model = model
        self.x = x
        self.y = y
        self.layers = []  # (name, kind) of each watched layer, in order
        self._stage = None
        self._call = None
        self._reason = None
        self._finite = (None, True)  # (key, weights_finite) of a call
        self.outputs = None  # the model's output on `x`, inference mode, too
        self.float16 = []  # per watched layer: computed in float16
        self._train_output = (None, None)  # (epoch, output) of a gradient pass
        self._cache = (None, None)

    def build(self):
        """Builds the probe model; returns None or the reason it is impossible."""
        if self._call is not None or self._reason not in (None, NOT_BUILT):
            return self._reason
        model = self.model
        if not model.built:
            self._reason = NOT_BUILT
            return self._reason
        try:
            stage = Stage(model, set())
        except (AttributeError, ValueError) as exc:
            if "input" in str(exc).lower() or isinstance(exc, AttributeError):
                reason = "its layers' outputs cannot be reached (subclassed model?)"
            else:
                reason = f"a probe model could not be built ({exc})"
            self._reason = reason
            return reason
        except TypeError as exc:
            self._reason = f"a probe model could not be built ({exc})"
            return self._reason
        self.layers = stage.all_layers()
        if not self.layers:
            self._reason = "it has no hidden ReLU/tanh/sigmoid activations to watch"
            return self._reason
        self._reason = None
        self._stage = stage
        self._call = _compiled(stage, self.x)
        return None

    def activations(self, key, calls_left=None):
        """Per watched layer, the probe activations as numpy (cached per key).

        `calls_left`: how many more calls the fit will make (its epochs
        left), or None; it decides whether tracing the pass pays.
        """
        if self._cache[0] == key and self._cache[1] is not None:
            return self._cache[1]
        outs = self._call(calls_left)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        self.outputs = outs.pop() if self._stage.top else None
        # float16 and bfloat16 (mixed precision) come back as float32: numpy
        # would reduce them in their own dtype (a float16 sum overflows at
        # 65504, a bfloat16 one stops growing), and float32 holds them exactly.
        dtypes = [keras.backend.standardize_dtype(o.dtype) for o in outs]
        self.float16 = [dtype == "float16" for dtype in dtypes]
        acts = [_float32(o) for o in outs]
        acts = [a.reshape(-1, a.shape[-1]) for a in acts]
        self._cache = (key, acts)
        return acts

    @property
    def weights_finite(self):
        """Whether all of the model's weights are finite, as of the last
        `activations` call (checked once per call, on first use).

        Needed because a traced ReLU may turn NaN into 0: a network whose
        weights blew up must not look like a dead one.
        """
        key = self._cache[0]
        if self._finite[0] != key:
            self._finite = (key, all_finite(self.model.weights))
        return self._finite[1]

    def inference_output(self, key, n):
        """The model's inference-mode output on the first `n` probe samples,
        from the last `activations(key)` call, or None."""
        if self._cache[0] != key or self._cache[1] is None or self.outputs is None:
            return None
        if len(self.outputs) < n:
            return None
        return np.asarray(keras.ops.convert_to_numpy(self.outputs[:n]), "float64")

    def keep_train_output(self, key, output):
        """Keeps a training-mode output on the first probe samples (the
        gradient check's pass) for `train_output`."""
        self._train_output = (key, output)

    def train_output(self, key, n):
        """The training-mode output on the first `n` probe samples kept for
        `key`, or None."""
        kept_key, output = self._train_output
        if kept_key != key or output is None or len(output) < n:
            return None
        return output[:n]


def split_probe_data(probe_data):
    """Splits `probe_data` (x, a dict/list of inputs, or an `(x, y)` tuple)."""
    if isinstance(probe_data, tuple) and len(probe_data) == 2:
        return probe_data[0], probe_data[1]
    return probe_data, None


def make_probe(model, probe_data, probe_size, build=True):
    """Returns `(probe, None)` or `(None, reason)` for `model`.

    The sample is `probe_data` if given, else `probe_size` evenly spaced
    samples of the training data passed to `fit`, else of the validation data.
    """
    if probe_data is not None:
        x, y = split_probe_data(probe_data)
        sample = take_sample(x, y, probe_size)
    else:
        x, y, val_x, val_y = fit_arguments(model)
        sample = take_sample(x, y, probe_size)
        if sample is None:
            sample = take_sample(val_x, val_y, probe_size)
    if sample is None:
        return None, (
            "no probe data was given and none could be read from `fit` "
            "without changing the run (a Python generator cannot be rewound, "
            "a tf.data pipeline with variables or Python code cannot be copied)"
        )
    probe = Probe(model, sample[0], sample[1])
    return probe, (probe.build() if build else None)
