"""The Babysitter on two devices: `tf.distribute.MirroredStrategy` over two
logical CPU devices and JAX `keras.distribution.DataParallel` over two host
devices, each in a fresh process (`_several_devices.py`), since the devices
must be set up before the backend starts.

Each runs where its backend is tested: the MirroredStrategy test in the
TensorFlow run, the DataParallel one wherever JAX is installed (CI's JAX
run); the PyTorch run skips both.
"""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HELPER = pathlib.Path(__file__).with_name("_several_devices.py")
NETS = ("healthy", "relu_head", "rate_too_high")
EXPECTED_CAUSE = {
    "healthy": None,
    "relu_head": "output_activation",
    "rate_too_high": "diverging_loss",
}


def run_helper(backend):
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "CUDA_VISIBLE_DEVICES": "",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    if backend == "jax":
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
        env["JAX_PLATFORMS"] = "cpu"
    done = subprocess.run(
        [sys.executable, str(HELPER)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def check(out, nets):
    assert out["devices"] == 2
    for name in nets:
        result = out[name]
        assert result["distributed"], name  # the model spans both devices
        assert result["identical"], name  # the Babysitter never changes the run
        assert result["cause_several"] == result["cause_one"], name
        assert result["cause_several"] == EXPECTED_CAUSE[name.split("_tf")[0]], name
    # Its figures reach History (the ReLU head's loss is NaN on some backends:
    # then only the loss checks go on and log nothing).
    assert out["healthy"]["figures_in_history"] == [
        "dead_fraction",
        "gradient_ratio",
        "update_ratio",
    ]


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="MirroredStrategy is tested in the TensorFlow run",
)
def test_mirrored_strategy_on_two_cpu_devices_same_weights_same_verdict():
    out = run_helper("tensorflow")
    assert out["backend"] == "tensorflow"
    check(out, NETS + ("healthy_tf_data",))


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None
    or keras.backend.backend() not in ("tensorflow", "jax"),
    reason="needs JAX (installed with the `jax` extra); tested in the JAX run",
)
def test_jax_data_parallel_on_two_host_devices_same_weights_same_verdict():
    out = run_helper("jax")
    assert out["backend"] == "jax"
    check(out, NETS)
