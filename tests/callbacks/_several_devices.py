"""The Babysitter on two devices, in a fresh process (run by
test_several_devices.py; the devices must be set up before the backend
starts, so not inside pytest's process).

TensorFlow: `MirroredStrategy` over two logical CPU devices. JAX:
`keras.distribution.DataParallel` over two host devices (the parent sets
`XLA_FLAGS=--xla_force_host_platform_device_count=2`). For each of a healthy
network, a ReLU head under cross-entropy and a learning rate too high:
the same seeded fit on both devices without and with the Babysitter (the
weights must be bit-identical), and with the Babysitter on one device (the
verdict must be the same). On TensorFlow the healthy network is also fed a
`tf.data.Dataset`. Prints one JSON line.

Usage: python _several_devices.py
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import contextlib  # noqa: E402
import json  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

BACKEND = keras.backend.backend()
if BACKEND == "tensorflow":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    DISTRIBUTION = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    DEVICES = DISTRIBUTION.num_replicas_in_sync
else:
    DISTRIBUTION = keras.distribution.DataParallel(
        devices=keras.distribution.list_devices()
    )
    DEVICES = int(DISTRIBUTION.device_mesh.devices.size)

from callbacks import Babysitter  # noqa: E402

rng = np.random.default_rng(0)
X = rng.normal(size=(256, 8)).astype("float32")
Y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype("int32")
NETS = {  # name -> (output activation, optimizer)
    "healthy": ("softmax", lambda: keras.optimizers.Adam(1e-2)),
    "relu_head": ("relu", lambda: keras.optimizers.Adam(1e-2)),
    "rate_too_high": ("softmax", lambda: keras.optimizers.SGD(10.0)),
}


def build(name):
    head, optimizer = NETS[name]
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu", name="dense_0"),
            keras.layers.Dense(2, activation=head, name="head"),
        ]
    )
    model.compile(optimizer(), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def spans_every_device(model):
    if BACKEND == "tensorflow":
        return model.distribute_strategy.num_replicas_in_sync == DEVICES
    return all(
        len(v.value.sharding.device_set) == DEVICES for v in model.trainable_variables
    )


def fit(name, several, sitter, data="numpy"):
    where = DISTRIBUTION.scope() if several else contextlib.nullcontext()
    with where:
        model = build(name)
        keras.utils.set_random_seed(1)
        cbs = [] if sitter is None else [sitter]
        if data == "numpy":
            kwargs = dict(validation_split=0.25, batch_size=32, shuffle=True)
            history = model.fit(X, Y, epochs=2, verbose=0, callbacks=cbs, **kwargs)
        else:
            train = tf.data.Dataset.from_tensor_slices((X[:192], Y[:192]))
            train = train.shuffle(192, seed=0).batch(32)
            val = tf.data.Dataset.from_tensor_slices((X[192:], Y[192:])).batch(32)
            history = model.fit(
                train, validation_data=val, epochs=2, verbose=0, callbacks=cbs
            )
    weights = [np.array(w) for w in model.get_weights()]
    return model, weights, history.history


def one_net(name, data="numpy"):
    one = Babysitter(verbose=0)
    fit(name, False, one, data)
    model, plain, _ = fit(name, True, None, data)
    several = Babysitter(verbose=0)
    _, watched, history = fit(name, True, several, data)
    first, second = one.diagnosis(), several.diagnosis()
    return {
        "distributed": spans_every_device(model),
        "identical": len(plain) == len(watched)
        and all(np.array_equal(a, b) for a, b in zip(plain, watched)),
        "cause_one": None if first is None else first.cause,
        "cause_several": None if second is None else second.cause,
        "figures_in_history": sorted(
            k
            for k in ("dead_fraction", "update_ratio", "gradient_ratio")
            if k in history
        ),
    }


def main():
    out = {"backend": BACKEND, "devices": DEVICES}
    for name in NETS:
        out[name] = one_net(name)
    if BACKEND == "tensorflow":
        out["healthy_tf_data"] = one_net("healthy", data="tf.data")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
