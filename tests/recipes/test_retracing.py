"""`keras-recipes tune` on a regression table prints no TensorFlow
"retracing" warning: every trial and fold trains a fresh model, whose first
traces TensorFlow counts under the one key all Keras models share, so the
run after the search warned (`recipes.training.expected_traces`)."""

import logging
import os
import pathlib
import subprocess
import sys

import keras
import pytest

from recipes.training import expected_traces

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="a TensorFlow warning"
)
def test_tune_on_a_regression_csv_prints_no_retracing(tmp_path):
    from sklearn.datasets import load_diabetes

    load_diabetes(as_frame=True).frame.to_csv(tmp_path / "data.csv", index=False)
    # 4 trials x 3 folds: 12 fresh models in a row, enough for TensorFlow's
    # detector (5 traces within 10 calls) without the filter.
    command = [sys.executable, "-m", "recipes", "tune", str(tmp_path / "data.csv")]
    command += ["--target", "target", "--max-trials", "4", "--trial-epochs", "2"]
    command += ["--cv", "3", "--epochs", "1", "--no-preflight", "--quiet"]
    command += ["--output-dir", str(tmp_path / "run")]
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    out = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "R²" in out.stdout  # it did run: a regression's summary
    assert "retracing" not in out.stderr, out.stderr[-2000:]


def test_expected_traces_drops_only_the_warning_about_keras_steps():
    keras_steps = (
        "{} out of the last {} calls to <function TensorFlowTrainer._make_function."
        "<locals>.multi_step_on_iterator at 0x7f> triggered tf.function retracing."
    )
    yours = "5 out of the last 5 calls to <function f> triggered tf.function retracing."
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        with expected_traces():
            logger.warning(keras_steps.format(5, 11))
            logger.warning(yours)
            logger.warning("something else")
        logger.warning(keras_steps.format(6, 12))
    finally:
        logger.removeHandler(handler)
    messages = [r.getMessage() for r in records]
    if keras.backend.backend() == "tensorflow":
        # the user's own function still warns; the filter is gone after the block
        assert messages == [yours, "something else", keras_steps.format(6, 12)]
    else:
        assert len(messages) == 4
