"""`babysit(distribution=...)` and `tune(distribution_strategy=...)` on two
devices, in a fresh process (run by test_devices.py: the devices must be set
up before the backend starts).

TensorFlow: two logical CPU devices, `MirroredStrategy` over them, for
`babysit` (a builder, two averaged networks, a model built outside the
strategy refused) and `tune`; `"all"` on a machine without GPUs is one
device. JAX (`XLA_FLAGS=--xla_force_host_platform_device_count=2`):
`babysit(distribution="all")`, a `DataParallel` over both host devices, on
splits whose row counts do not divide by two. Prints one JSON line.

Usage: python _devices_helper.py OUTPUT_FOLDER
"""

import os
import sys

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

import recipes  # noqa: E402
from recipes.run import _devices  # noqa: E402

RUN = dict(
    epochs=1,
    learning_rate=1e-2,
    preflight=False,
    seed=0,
    verbose=int(os.environ.get("V", 0)),
)


class Replicas(keras.callbacks.Callback):
    """Writes the number of replicas its model trains on into `path`
    (a callback of a search is deep-copied per trial)."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_train_begin(self, logs=None):
        with open(self.path, "w") as f:
            f.write(str(self.model.distribute_strategy.num_replicas_in_sync))


def data(n):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6)).astype("float32")
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int32")


def devices_of(model):
    if BACKEND == "tensorflow":
        return model.distribute_strategy.num_replicas_in_sync
    return min(len(v.value.sharding.device_set) for v in model.trainable_variables)


def members_devices(model):
    """The fewest devices any network of an average was built on."""
    return min(devices_of(model.get_layer(f"member_{i}")) for i in (0, 1))


def tensorflow(folder):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    x, y = data(303)  # 205 rows to train on, 37 to validate, 61 to test
    out = {"all": _devices.describe(_devices.resolve("all"))}
    run = recipes.babysit(
        x, y, distribution=strategy, output_dir=f"{folder}/run", **RUN, ensemble=2
    )
    out["babysit"] = {
        "devices": members_devices(run.model),
        "accuracy": run.metrics["accuracy"],
        "files": sorted(os.listdir(run.run_dir)),
    }
    for name in ("outside", "inside"):
        with strategy.scope() if name == "inside" else contextlib.nullcontext():
            model = keras.Sequential(
                [keras.Input((6,)), keras.layers.Dense(2, "softmax")]
            )
            model.compile("adam", "sparse_categorical_crossentropy")
        try:
            given = recipes.babysit(
                x,
                y,
                model=model,
                distribution=strategy,
                output_dir=f"{folder}/{name}",
                **{**RUN, "preflight": name == "inside"},
            )
            out[name] = devices_of(given.model)
        except ValueError as e:
            out[name] = str(e)
    searched = recipes.tune(
        x,
        y,
        stages=[{"trials": 1, "epochs": 1}],
        search_space={"units": 8, "depth": 1},
        cv=None,
        directory=folder,
        seed=0,
        distribution_strategy=strategy,
        callbacks=[Replicas(f"{folder}/replicas.txt")],
    )
    with open(f"{folder}/replicas.txt") as f:
        replicas = int(f.read())
    out["tune"] = {"rows": len(searched.table()), "replicas": replicas}
    return out


def jax(folder):
    x, y = data(403)  # 322 training rows: 273 to train on, 49 to validate
    run = recipes.babysit(
        x, y, distribution="all", output_dir=f"{folder}/run", **RUN, ensemble=2
    )
    return {
        "all": _devices.describe(_devices.resolve("all")),
        "babysit": {
            "devices": members_devices(run.model),
            "accuracy": run.metrics["accuracy"],
            "files": sorted(os.listdir(run.run_dir)),
        },
    }


def main():
    folder = sys.argv[1]
    out = tensorflow(folder) if BACKEND == "tensorflow" else jax(folder)
    print(json.dumps({"backend": BACKEND, **out}))


if __name__ == "__main__":
    main()
