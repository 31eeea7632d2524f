"""`babysit(distribution=...)` and `tune(distribution_strategy=...)`.

The runs on two devices go through `_devices_helper.py` in a fresh process
(the devices must be set up before the backend starts): on TensorFlow, two
logical CPU devices under `MirroredStrategy`; on JAX, two host devices
under `DataParallel` (`distribution="all"`). The JAX one runs wherever JAX
is installed (CI runs this file again with `KERAS_BACKEND=jax`).
"""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

import recipes
from recipes.run import _devices

ROOT = pathlib.Path(__file__).resolve().parents[3]
HELPER = pathlib.Path(__file__).with_name("_devices_helper.py")


def run_helper(backend, folder):
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "CUDA_VISIBLE_DEVICES": "",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MPLBACKEND": "Agg",
    }
    if backend == "jax":
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
        env["JAX_PLATFORMS"] = "cpu"
    done = subprocess.run(
        [sys.executable, str(HELPER), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


RUN_FILES = {"report.md", "model.keras", "history.csv", "metrics.json"}


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the TensorFlow run tests it"
)
def test_babysit_and_tune_under_mirrored_strategy_on_two_cpu_devices(tmp_path):
    out = run_helper("tensorflow", tmp_path)
    assert out["all"] == "one device"  # no GPU: "all" is one device
    run = out["babysit"]
    assert run["devices"] == 2  # both averaged networks were built under it
    assert run["accuracy"] > 0.6 and RUN_FILES <= set(run["files"])
    assert "build and compile it under `distribution.scope()`" in out["outside"]
    assert out["inside"] == 2  # a model built under the strategy trains there
    assert out["tune"] == {"rows": 1, "replicas": 2}


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None
    or keras.backend.backend() not in ("tensorflow", "jax"),
    reason="needs JAX (the `jax` extra)",
)
def test_babysit_on_every_jax_device_with_rows_that_do_not_split_evenly(tmp_path):
    out = run_helper("jax", tmp_path)
    assert out["all"] == "2 devices (DataParallel)"
    run = out["babysit"]
    assert run["devices"] == 2
    assert run["accuracy"] > 0.6 and RUN_FILES <= set(run["files"])


class TwoReplicas:
    """Stands in for a strategy over two devices (what `_devices` reads)."""

    num_replicas_in_sync = 2


def test_batches_split_evenly_over_the_devices():
    two = TwoReplicas()
    assert _devices.batch_ways(None) == 1 and _devices.batch_ways(two) == 2
    x, y = np.zeros((7, 3)), np.arange(7)
    x2, y2 = _devices.even_rows(x, y, two)
    assert len(x2) == len(y2) == 6
    assert _devices.even_rows(x, y, None)[0] is x
    assert _devices.default_batch_size(17, two) == 16
    assert _devices.evaluation_batch_size(61, two) == 60  # the first batch even
    assert _devices.evaluation_batch_size(999, two) == 256
    _devices.check_batch_size(64, two)
    with pytest.raises(ValueError, match=r"multiple of 2.*batch_size=32.*=33"):
        _devices.check_batch_size(33, two)


@pytest.mark.parametrize(
    "distribution, error, match",
    [
        ("every", ValueError, "'all'"),
        (2, TypeError, "distribution of type int"),
        (object(), TypeError, "distribution of type object"),
    ],
)
def test_a_bad_distribution_fails_before_any_work(tmp_path, distribution, error, match):
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    with pytest.raises(error, match=match):
        recipes.babysit(x, y, distribution=distribution, output_dir=tmp_path / "r")
    assert not os.listdir(tmp_path)


def test_all_without_several_devices_is_one_device():
    # CI has no GPU and one JAX device unless XLA_FLAGS asks for more.
    expected = None
    if keras.backend.backend() == "jax":
        if len(keras.distribution.list_devices()) > 1:
            pytest.skip("several JAX devices here")
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if len(tf.config.list_logical_devices("GPU")) > 1:
            pytest.skip("several GPUs here")
    assert _devices.resolve("all") is expected
    assert _devices.describe(None) == "one device"


@pytest.mark.skipif(
    keras.backend.backend() not in ("tensorflow", "jax"), reason="no distribution"
)
def test_babysit_inside_a_distribution_is_refused_before_any_work(tmp_path):
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        outer = tf.distribute.MirroredStrategy(["/cpu:0"])
    else:
        outer = keras.distribution.DataParallel(
            devices=keras.distribution.list_devices()
        )
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    with outer.scope():
        with pytest.raises(ValueError, match="passing the strategy or distribution"):
            recipes.babysit(x, y, output_dir=tmp_path / "r")
    assert not os.listdir(tmp_path)
