import copy
import csv
import subprocess
import sys

import keras
import numpy as np
import pytest

import callbacks
from callbacks import Babysitter, Finding, UpdateRatioMonitor
from tests.callbacks._models import (
    blobs,
    compile_,
    dense_net,
    digits,
    problems,
    recipe_mlp,
)


def test_healthy_recipe_model_on_digits_has_no_warning_or_error(tmp_path):
    x, y = digits()
    model = compile_(recipe_mlp())
    sitter = Babysitter(verbose=0)
    log = tmp_path / "log.csv"
    history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=32,
        validation_split=0.2,
        verbose=0,
        callbacks=[sitter, keras.callbacks.CSVLogger(str(log))],
    )
    assert problems(sitter) == []
    assert all(isinstance(f, Finding) for f in sitter.findings)
    for key in (
        "dead_fraction",
        "dead_fraction/relu_0",
        "update_ratio/dense_0",
        "update_ratio",
        "gradient_ratio",
        "generalization_gap",
    ):
        assert len(history.history[key]) == 3, key
    with open(log) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and "dead_fraction/relu_1" in rows[0]
    assert 0.0 <= float(rows[-1]["dead_fraction"]) <= 1.0


def test_stop_on_error_stops_training_and_findings_are_ordered():
    x, y = blobs()
    dead = dense_net(8, [32, 32], bias_initializer=keras.initializers.Constant(-5.0))
    model = compile_(dead)
    sitter = Babysitter(stop_on="error", verbose=0)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[sitter])
    assert len(history.history["loss"]) == 1
    assert sitter.findings[0].check == "dead_units"
    epochs = [-1 if f.epoch is None else f.epoch for f in sitter.findings]
    assert epochs == sorted(epochs)


def test_nan_is_reported_first_and_never_as_dead_units():
    x, y = blobs()
    x = x * 1000.0
    # a step size that overflows the weights to inf/NaN on every backend
    model = compile_(dense_net(8, [32, 32]), keras.optimizers.SGD(1e38))
    sitter = Babysitter(verbose=0)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[sitter])
    checks = problems(sitter)
    assert "nan_loss" in checks and "dead_units" not in checks


def test_update_ratio_fires_low_and_high_and_is_quiet_when_healthy():
    x, y = blobs(2048)
    results = {}
    for name, opt, high in (
        ("low", keras.optimizers.SGD(1e-7), 0.1),
        # a rate that stays high without killing the net by step 200
        ("high", keras.optimizers.SGD(3.0), 0.02),
        ("ok", keras.optimizers.Adam(1e-3), 0.1),
    ):
        keras.utils.set_random_seed(0)
        monitor = UpdateRatioMonitor(verbose=0, high=high)
        # tanh: a large step cannot kill the units (ReLUs may die, and a
        # dead layer's kernel stops moving on some backends' initial weights)
        history = compile_(dense_net(8, [16], activation="tanh"), opt).fit(
            x, y, epochs=4, batch_size=32, verbose=0, callbacks=[monitor]
        )
        # 64 steps an epoch: nothing is judged before 200 steps (epoch 3)
        assert all(f.epoch >= 3 for f in monitor.findings)
        results[name] = (monitor.findings, history.history["update_ratio"][0])
    assert results["low"][0][0].check == "update_ratio"
    assert results["low"][0][0].value < 1e-5
    assert any(f.value > 0.02 and "too high" in f.message for f in results["high"][0])
    assert results["ok"][0] == [] and 1e-4 < results["ok"][1] < 0.1


def test_checks_subset_only_reports_those_checks():
    x, y = blobs()
    model = compile_(
        dense_net(8, [32], bias_initializer=keras.initializers.Constant(-5.0))
    )
    sitter = Babysitter(checks=["overfitting"], verbose=0)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[sitter])
    assert problems(sitter) == []


def test_reusable_and_survives_deepcopy():
    x, y = blobs()
    model = compile_(
        dense_net(8, [32], bias_initializer=keras.initializers.Constant(-5.0))
    )
    sitter = Babysitter(verbose=0, probe_data=x[:64])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[sitter])
    first = list(sitter.findings)
    clone = copy.deepcopy(sitter)
    assert clone.findings == first and clone.model is None
    assert clone.get_config()["probe_data"] is not sitter.probe_data
    model.fit(x, y, epochs=1, verbose=0, callbacks=[sitter])  # state resets
    assert [f.check for f in sitter.findings] == [f.check for f in first]
    compile_(dense_net(8, [32])).fit(x, y, epochs=1, verbose=0, callbacks=[clone])
    assert "dead_units" not in problems(clone)


def test_verbose_prints_each_problem_once(capsys):
    x, y = blobs()
    model = compile_(
        dense_net(8, [32], bias_initializer=keras.initializers.Constant(-5.0))
    )
    model.fit(x, y, epochs=2, verbose=0, callbacks=[Babysitter(verbose=1)])
    out = capsys.readouterr().out
    assert out.count("dead_units (dense)") == 1 and "Fix:" in out


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"checks": ["dead_unit"]}, ValueError),
        ({"checks": "dead_units"}, TypeError),
        ({"stop_on": "always"}, ValueError),
        ({"probe_size": -1}, ValueError),
        ({"update_samples": 1.5}, TypeError),
        ({"verbose": 3}, ValueError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error, match="Received"):
        Babysitter(**kwargs)


def test_package_never_imports_recipes():
    code = "import sys, callbacks; print('recipes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"


def test_probe_defaults_to_evenly_spaced_training_samples():
    x, y = blobs(4096)
    model = compile_(dense_net(8, [16]))
    sitter = Babysitter(verbose=0, checks=["dead_units"])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[sitter])
    probe = sitter.monitors[1]._shared_probe[0]
    assert probe.x.shape == (1024, 8)
    np.testing.assert_array_equal(probe.x[-1], x[-1])


@pytest.mark.parametrize(
    "make",
    [
        lambda: Babysitter(checks=["dead_units"], stop_on="warning", probe_size=64),
        lambda: callbacks.DeadUnitMonitor(threshold=0.3, probe_size=32),
        lambda: callbacks.ActivationStats(tolerance=0.05),
        lambda: callbacks.GradientMonitor(batch_size=16, ratio=50.0),
        lambda: UpdateRatioMonitor(samples=3, low=1e-6, high=0.5),
        lambda: callbacks.LossWatch(min_delta=0.01),
        lambda: callbacks.GeneralizationWatch(max_gap=0.2),
    ],
)
def test_every_callback_deep_copies_with_its_arguments(make):
    original = make()
    clone = copy.deepcopy(original)
    assert type(clone) is type(original) and clone is not original
    assert clone.get_config() == original.get_config()
    assert clone.findings == [] and clone.findings is not original.findings


def test_an_attached_monitor_reports_to_its_parent_and_shares_its_probe(capsys):
    # The contract the Babysitter runs its monitors by: `attach(parent, probe)`.
    x, y = blobs(64)
    model = compile_(dense_net(8, [16]))
    model.build((None, 8))

    class Parent:
        def __init__(self):
            self.seen = []

        def emit(self, finding):
            self.seen.append(finding)
            return True

    parent = Parent()
    probe = callbacks._probe.make_probe(model, (x, y), 32)
    monitor = callbacks.DeadUnitMonitor(threshold=0.01)  # verbose: would print
    monitor.attach(parent, probe)
    monitor.set_model(model)
    monitor.on_train_begin()
    monitor.find("dead_units", 0, "warning", layer="dense", message="m")
    assert monitor.probe is probe[0]  # the shared probe, not one of its own
    assert [f.check for f in parent.seen] == ["dead_units"]
    assert capsys.readouterr().out == ""  # the parent prints, not the monitor
    monitor.attach(None)
    monitor.find("dead_units", 0, "error", layer="dense", message="m")
    assert "DeadUnitMonitor: [error] dead_units" in capsys.readouterr().out
