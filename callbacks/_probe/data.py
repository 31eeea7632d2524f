"""Probe samples taken from the data given to `fit`, without changing the run.

Private to the callbacks. Keras passes no data to callbacks, so the probe
reads the locals of the running `fit` call. Whatever it reads must leave
training bit-identical to a run without the callback:

- arrays (numpy, tensors, dicts/lists of them) are sliced, never iterated;
- a `tf.data.Dataset` is never iterated itself: a shuffled dataset's seed
  generator moves on with every new iterator, which would reshuffle the
  user's epochs. The probe iterates a copy rebuilt from the dataset's graph,
  in which the shuffle and cache ops own their state (a fresh seed generator
  with the same seeds, a fresh cache). A pipeline with other state (variables
  assigned in a `map`, stateful random generators) is not copied;
- a `keras.utils.PyDataset` is indexed (`x[i]`, never `on_epoch_end`), with
  Python's and numpy's global random states saved and restored around it;
- a Python generator cannot be rewound: it is never touched.

Example:

>>> import numpy as np
>>> from callbacks._probe.data import take_sample
>>> x = np.arange(20.0).reshape(10, 2)
>>> take_sample(x, None, 3)[0][:, 0]
array([ 0.,  8., 18.])
"""

from __future__ import annotations

import inspect
import random
import sys

import keras
import numpy as np

# Dataset ops whose state lives in a resource input shared with the original:
# rewritten to the variant that owns its state (same seeds, a fresh cache).
_OWN_STATE = {
    "ShuffleDatasetV3": "ShuffleDataset",
    "ShuffleAndRepeatDatasetV2": "ShuffleAndRepeatDataset",
    "CacheDatasetV2": "CacheDataset",
}
# Ops that change shared state when run: a copy holding one is not iterated.
_SHARED_STATE = (
    "Assign",
    "Rng",
    "Stateful",
    "ResourceApply",
    "ResourceScatter",
    "SeedGenerator",
    "ShuffleDatasetV2",
    "PyFunc",
)
_MAX_BATCHES = 256


def fit_arguments(model):
    """Finds `x, y, val_x, val_y` of the running `model.fit` call, if any."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            loc = frame.f_locals
            if frame.f_code.co_name == "fit" and loc.get("self") is model:
                return (loc.get("x"), loc.get("y"), loc.get("val_x"), loc.get("val_y"))
            frame = frame.f_back
    finally:
        del frame
    return None, None, None, None


def _rows(a, index):
    if isinstance(a, dict):
        return {k: _rows(v, index) for k, v in a.items()}
    if isinstance(a, (list, tuple)):
        return type(a)(_rows(v, index) for v in a)
    if isinstance(a, np.ndarray):
        return a[index]
    return np.asarray(keras.ops.convert_to_numpy(a))[index]


def sample_count(a):
    """The number of samples in `a` (an array, or a dict/list of arrays)."""
    if isinstance(a, dict):
        return sample_count(next(iter(a.values())))
    if isinstance(a, (list, tuple)):
        return sample_count(a[0])
    return int(a.shape[0])


def _concat(parts):
    first = parts[0]
    if isinstance(first, dict):
        return {k: _concat([p[k] for p in parts]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(_concat([p[i] for p in parts]) for i in range(len(first)))
    return np.concatenate([np.asarray(keras.ops.convert_to_numpy(p)) for p in parts])


def _split(batch):
    """`(x, y)` of one batch: `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`."""
    if isinstance(batch, tuple):
        if len(batch) == 1:
            return batch[0], None
        return batch[0], batch[1]
    return batch, None


def _gather(batches, size):
    """Concatenates `(x, y)` batches up to `size` samples, or None."""
    xs, ys, n = [], [], 0
    for batch in batches:
        bx, by = _split(batch)
        if bx is None:
            break
        xs.append(bx)
        ys.append(by)
        n += sample_count(bx)
        if n >= size or len(xs) >= _MAX_BATCHES:
            break
    if not xs:
        return None
    x = _concat(xs)
    y = None if any(v is None for v in ys) else _concat(ys)
    index = np.arange(min(size, sample_count(x)))
    return _rows(x, index), (None if y is None else _rows(y, index))


def is_tf_dataset(x):
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(x, tf.data.Dataset)


def dataset_copy(ds):
    """Returns a copy of `ds` sharing no state with it, or None."""
    tf = sys.modules["tensorflow"]
    try:
        policy = tf.data.experimental.ExternalStatePolicy.IGNORE
        graph = tf.compat.v1.GraphDef.FromString(
            ds._as_serialized_graph(external_state_policy=policy).numpy()
        )
    except Exception:  # noqa: BLE001 - any pipeline TF cannot serialize
        return None
    nodes = list(graph.node)
    for function in graph.library.function:
        nodes.extend(function.node_def)
    for node in nodes:
        if node.op in _OWN_STATE:
            node.op = _OWN_STATE[node.op]
            del node.input[-1]  # the shared resource
        elif any(part in node.op for part in _SHARED_STATE):
            return None
    try:
        variant = tf.raw_ops.DatasetFromGraph(graph_def=graph.SerializeToString())
        return tf.data.experimental.from_variant(variant, ds.element_spec)
    except Exception:  # noqa: BLE001
        return None


class _RandomState:
    """Saves Python's and numpy's global random states and restores them."""

    def __enter__(self):
        self._state = random.getstate(), np.random.get_state()

    def __exit__(self, *exc):
        random.setstate(self._state[0])
        np.random.set_state(self._state[1])
        return False


def _numpy(batch):
    return keras.tree.map_structure(
        lambda a: a if a is None else np.asarray(keras.ops.convert_to_numpy(a)), batch
    )


def _py_dataset_sample(x, size):
    with _RandomState():
        n = len(x)
        if not n:
            return None
        first = x[0]
        per = max(1, sample_count(_split(first)[0]))
        k = min(n, -(-size // per))
        picks = np.unique(np.linspace(0, n - 1, k).astype(int))
        return _gather([first if i == 0 else x[int(i)] for i in picks], size)


def take_sample(x, y, size):
    """Returns up to `size` samples `(x, y)` of the data `x`/`y`, or None.

    Arrays give `size` evenly spaced samples, a `PyDataset` evenly spaced
    batches, a `tf.data.Dataset` the first batches of a state-free copy.
    """
    if x is None:
        return None
    if is_tf_dataset(x):
        copy = dataset_copy(x)
        if copy is None:
            return None
        with _RandomState():
            return _gather((_numpy(b) for b in copy), size)
    if isinstance(x, keras.utils.PyDataset):
        return _py_dataset_sample(x, size)
    if (
        inspect.isgenerator(x)
        or not hasattr(x, "shape")
        and not isinstance(x, (dict, list, tuple))
    ):
        return None
    try:
        n = sample_count(x)
    except (AttributeError, TypeError, IndexError, StopIteration, KeyError):
        return None
    index = np.unique(np.linspace(0, n - 1, min(n, size)).astype(int))
    return _rows(x, index), (None if y is None else _rows(y, index))
