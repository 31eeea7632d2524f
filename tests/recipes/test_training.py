"""The one training step: `train_babysat`, `StopOnError`, the aligned log."""

import csv

import keras
import numpy as np
import pytest

from callbacks import Babysitter
from recipes.training import EpochLog, StopOnError, TrainedRun, train_babysat


def _data(seed=0, n=256):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    return x, y


def _model(l2, learning_rate, seed=0, width=256):
    keras.utils.set_random_seed(seed)
    reg = keras.regularizers.L2(l2) if l2 else None
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(width, "relu", kernel_regularizer=reg),
            keras.layers.Dense(width, "relu", kernel_regularizer=reg),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.SGD(learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _run(model, epochs=6, **kwargs):
    x, y = _data()
    sitter = Babysitter(verbose=0, checks=["nan_loss", "diverging_loss"])
    return train_babysat(
        model,
        x,
        y,
        validation_data=_data(1, 64),
        epochs=epochs,
        batch_size=32,
        babysitter=sitter,
        stop_on_error=True,
        **kwargs,
    )


def test_a_diverging_run_under_a_large_l2_stops():
    # The penalty at the start is well above ln(2); the data loss diverges.
    run = _run(_model(l2=0.05, learning_rate=3.0))
    assert run.stopped_by is not None
    assert run.stopped_by.check in ("nan_loss", "diverging_loss")
    assert run.epochs_run < 6


def test_a_healthy_run_under_the_same_l2_runs_to_its_end():
    run = _run(_model(l2=0.05, learning_rate=0.01))
    assert run.stopped_by is None
    assert run.epochs_run == 6
    assert [f for f in run.findings if f.severity == "error"] == []


def test_stop_on_error_stops_at_the_first_error_and_keeps_it():
    from callbacks import Finding

    class Sitter:
        findings = []

    sitter = Sitter()
    stopper = StopOnError(sitter)
    stopper.set_model(_model(0, 0.01, width=4))
    stopper.on_train_begin()
    sitter.findings = [Finding("stalled_loss", "warning", epoch=0)]
    stopper.on_epoch_end(0)
    assert stopper.reason is None and not stopper.model.stop_training
    sitter.findings.append(Finding("diverging_loss", "error", epoch=1, value=9.0))
    stopper.on_epoch_end(1)
    assert stopper.reason.check == "diverging_loss"
    assert stopper.model.stop_training
    stopper.on_train_begin()  # reusable across fits
    assert stopper.reason is None


def test_stop_on_error_can_watch_some_checks_only():
    from callbacks import Finding

    class Sitter:
        findings = [Finding("dead_units", "error", epoch=0)]

    stopper = StopOnError(Sitter(), checks={"nan_loss"})
    stopper.set_model(_model(0, 0.01, width=4))
    stopper.on_train_begin()
    stopper.on_epoch_end(0)
    assert stopper.reason is None and not stopper.model.stop_training
    Sitter.findings.append(Finding("nan_loss", "error", epoch=1))
    stopper.on_epoch_end(1)
    assert stopper.reason.check == "nan_loss" and stopper.model.stop_training


def test_a_run_that_cannot_improve_is_annealed_then_stopped(tmp_path):
    x, y = _data()
    model = _model(0, 0.01, width=16)
    model.trainable = False  # the validation loss never improves
    model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    run = train_babysat(
        model,
        x,
        y,
        validation_data=_data(1, 64),
        epochs=20,
        batch_size=32,
        patience=3,
        anneal_from=0.01,
        checkpoint=tmp_path / "best.weights.h5",
    )
    assert run.sitter is None and run.findings == []
    assert run.epochs_run == 4  # the first epoch, then 3 without progress
    assert run.history["learning_rate"][-1] < 0.01 * 0.31  # cut by 0.3
    assert (tmp_path / "best.weights.h5").exists()


def test_stop_on_error_needs_a_babysitter():
    x, y = _data()
    with pytest.raises(ValueError, match="Received: babysitter=None"):
        train_babysat(_model(0, 0.01, width=4), x, y, epochs=1, stop_on_error=True)


def test_history_aligns_keys_logged_in_some_epochs(tmp_path):
    log = EpochLog()
    log.on_train_begin()
    log.on_epoch_end(0, {"loss": 1.0})
    log.on_epoch_end(1, {"loss": 0.5, "grad_rms/dense_0": 2.0})
    run = TrainedRun(rows=log.rows)
    assert run.epochs_run == 2
    assert run.history["loss"] == [1.0, 0.5]
    assert np.isnan(run.history["grad_rms/dense_0"][0])
    assert run.history["grad_rms/dense_0"][1] == 2.0
    run.write_csv(tmp_path / "h.csv")
    with open(tmp_path / "h.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["grad_rms/dense_0"] == "" and rows[1]["grad_rms/dense_0"] == "2.0"
