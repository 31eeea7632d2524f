"""Where `babysit` trains its network: one device, or several (private).

`babysit(distribution=...)` takes a `tf.distribute.Strategy` on TensorFlow,
a `keras.distribution.DataParallel` or `ModelParallel` on JAX, or `"all"`:
every device there is (TensorFlow: the GPUs, with `MirroredStrategy`, when
there are two or more; JAX: the devices of its default platform, with
`DataParallel`, when there are two or more), else one. The network
`babysit` trains (and the further averaged networks of a small table) is
built, compiled and trained under it; the checks before training, the
range test and the search's trials run on one device, as without it.

Every batch is split evenly over the devices (on JAX, those of the batch
axis), so the batch size must be a multiple of their number and the
training and validation rows are cut to one (`even_rows`, at most one row
fewer per device): JAX refuses a batch that does not split evenly, and
Keras' TensorFlow trainer (3.15) fails when the first batch of a `fit` or
`evaluate` under a `MirroredStrategy` does not (`evaluation_batch_size`
keeps the test's first batch even).

Example:

>>> from recipes.run._devices import resolve, scope
>>> resolve(None) is None
True
>>> with scope(None):
...     pass
"""

from __future__ import annotations

import contextlib

ALL = "all"


def resolve(distribution):
    """The strategy or distribution to train under, or `None` for one device.

    Raises:
        TypeError: For an object this backend cannot train under.
        ValueError: For a string other than `"all"`.
    """
    if distribution is None:
        return None
    import keras

    backend = keras.backend.backend()
    if isinstance(distribution, str):
        if distribution != ALL:
            raise ValueError(
                "`distribution` must be None (one device), 'all' (every device "
                "there is), a tf.distribute.Strategy (TensorFlow) or a "
                "keras.distribution.DataParallel or ModelParallel (JAX). "
                f"Received: distribution={distribution!r}"
            )
        return _every_device(backend)
    if backend == "tensorflow":
        import tensorflow as tf

        if isinstance(distribution, tf.distribute.Strategy):
            return distribution
        expected = "a tf.distribute.Strategy, e.g. tf.distribute.MirroredStrategy()"
    elif backend == "jax":
        public = (keras.distribution.DataParallel, keras.distribution.ModelParallel)
        if isinstance(distribution, public):
            return distribution
        expected = (
            "a keras.distribution.DataParallel or ModelParallel, e.g. "
            "keras.distribution.DataParallel()"
        )
    else:
        raise TypeError(
            f"On the {backend} backend babysit trains on one device: pass "
            "distribution=None or 'all' (one device there). Received: "
            f"distribution of type {type(distribution).__name__}"
        )
    raise TypeError(
        f"On the {backend} backend `distribution` must be {expected}, or 'all' "
        "for every device there is. Received: distribution of type "
        f"{type(distribution).__name__}"
    )


def check_not_inside_one():
    """`babysit` enters the distribution itself, for the network only (its
    checks run on one device, and `keras.backend.clear_session()` between
    them would pop a TensorFlow strategy's scope): it must not be called
    inside one.

    Raises:
        ValueError: Inside a `strategy.scope()` (TensorFlow) or with a JAX
            distribution set.
    """
    import keras

    backend, inside = keras.backend.backend(), None
    if backend == "tensorflow":
        import tensorflow as tf

        inside = (
            "a tf.distribute strategy scope" if tf.distribute.has_strategy() else None
        )
    elif backend == "jax" and keras.distribution.distribution() is not None:
        inside = "a JAX distribution"
    if inside:
        raise ValueError(
            "babysit was called inside a distribution (a `strategy.scope()`, or "
            "keras.distribution.set_distribution): it builds and trains the "
            "network under one itself, and runs its checks on one device. Call "
            "it outside, passing the strategy or distribution as "
            f"`distribution=`. Received: a call inside {inside}"
        )


def _every_device(backend):
    """A strategy over every GPU (TensorFlow) or a `DataParallel` over every
    device (JAX) when there are two or more; else `None`."""
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) > 1:
            return tf.distribute.MirroredStrategy([d.name for d in gpus])
    elif backend == "jax":
        import keras

        devices = keras.distribution.list_devices()
        if len(devices) > 1:
            return keras.distribution.DataParallel(devices=devices)
    return None


def scope(distribution):
    """The context to build, compile and train under (`distribution.scope()`,
    or nothing for one device)."""
    if distribution is None:
        return contextlib.nullcontext()
    return distribution.scope()


def device_count(distribution):
    """How many devices `distribution` trains on (1 for `None`)."""
    if distribution is None:
        return 1
    if hasattr(distribution, "num_replicas_in_sync"):  # a tf.distribute.Strategy
        return int(distribution.num_replicas_in_sync)
    return int(distribution.device_mesh.devices.size)


def describe(distribution):
    """A few words for the progress line, e.g. `"2 devices (MirroredStrategy)"`."""
    count = device_count(distribution)
    if distribution is None:
        return "one device"
    return f"{count} device{'s' if count > 1 else ''} ({type(distribution).__name__})"


def batch_ways(distribution):
    """Into how many equal parts each batch is split: a strategy's replicas,
    or the devices along a JAX distribution's batch axis (1 for `None`)."""
    if distribution is None or hasattr(distribution, "num_replicas_in_sync"):
        return device_count(distribution)
    mesh = distribution.device_mesh
    return int(mesh.shape[list(mesh.axis_names).index(distribution.batch_dim_name)])


def check_batch_size(batch_size, distribution):
    """A given batch size must split evenly over the devices.

    Raises:
        ValueError: If it does not.
    """
    ways = batch_ways(distribution)
    if batch_size is not None and batch_size % ways:
        raise ValueError(
            f"Each batch is split evenly over the {ways} devices of the "
            f"distribution, so the batch size must be a multiple "
            f"of {ways}. Pass batch_size={max(ways, batch_size - batch_size % ways)}"
            f" or another multiple. Received: batch_size={batch_size}"
        )


def default_batch_size(batch_size, distribution):
    """The default batch size, rounded down to a multiple of `batch_ways`."""
    ways = batch_ways(distribution)
    return max(ways, batch_size - batch_size % ways)


def even_rows(x, y, distribution):
    """`(x, y)` cut to a multiple of `batch_ways` rows (at most `ways - 1`
    fewer), so that the last batch splits evenly too."""
    ways = batch_ways(distribution)
    keep = len(x) - len(x) % ways
    return (x, y) if keep == len(x) else (x[:keep], y[:keep])


def evaluation_batch_size(rows, distribution, batch_size=256):
    """A batch size for evaluating `rows` examples whose first batch splits
    evenly over the devices (the later ones need not)."""
    ways = batch_ways(distribution)
    if rows < ways:
        return batch_size
    return min(batch_size, rows - rows % ways)


def check_model(model, distribution):
    """A compiled model passed to `babysit` must have been built under the
    distribution it is to train under.

    Raises:
        ValueError: If it was not.
    """
    if distribution is None:
        return
    if hasattr(distribution, "num_replicas_in_sync"):
        built_under = model.distribute_strategy is distribution
    else:
        size = device_count(distribution)
        built_under = all(
            len(getattr(v.value, "sharding", None).device_set) == size
            for v in model.variables
            if getattr(v.value, "sharding", None) is not None
        )
    if not built_under:
        raise ValueError(
            "A compiled `model` trains on the devices it was built on: build "
            "and compile it under `distribution.scope()` (the same object you "
            "pass as `distribution`), or pass a builder as `model` and babysit "
            "builds it there. Received: a model built outside the distribution"
        )
