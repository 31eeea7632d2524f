"""The repair loop's choices, with the training replaced by a table of
outcomes (each run's metric and verdict read off its plan), so the order of
tries, the further steps and the stacking are tested without training."""

import keras
import numpy as np
import pytest

import recipes
from callbacks import Diagnosis, Finding
from recipes.repair import repair as repair_module
from recipes.repair._outcome import Outcome
from recipes.repair._plan import learning_rate
from recipes.repair._train import Run

L = keras.layers


def _run(plan, accuracy, cause=None):
    rows = np.zeros(1000)
    rows[: int(round(accuracy * 1000))] = 1.0
    rows = np.random.default_rng(0).permutation(rows)
    diagnosis = None
    if cause is not None:
        diagnosis = Diagnosis(cause, "s", "f", (Finding(cause, "error", epoch=1),))
    return Run(
        plan=plan,
        model=keras.Sequential([keras.Input((4,)), L.Dense(2)]),
        history={"loss": [1.0]},
        findings=[],
        diagnosis=diagnosis,
        outcome=Outcome("classification", float(rows.mean()), "val_accuracy", rows),
        epoch_metric=[float(rows.mean())] * 5,
        epochs_run=5,
        seconds=0.0,
    )


def _fake(table):
    """A `train` that scores a plan by `table(plan) -> (accuracy, cause)`."""

    def train(plan, seed, *, abandon_on, verbose):
        return _run(plan, *table(plan))

    return train


def _data(scale=1.0):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(200, 4)) * scale + 3 * scale).astype("float32")
    return x, (x[:, 0] > x[:, 0].mean()).astype("int64")


def test_an_accepted_rate_is_stepped_again_while_it_improves(monkeypatch):
    by_rate = {1.0: 0.10, 0.1: 0.60, 0.01: 0.95, 0.001: 0.90}

    def table(plan):
        rate = round(learning_rate(plan), 6)
        return by_rate[rate], "diverging_loss" if rate == 1.0 else None

    monkeypatch.setattr(repair_module, "train", _fake(table))
    model = keras.Sequential([keras.Input((4,)), L.Dense(8, "relu"), L.Dense(2)])
    model.compile(keras.optimizers.SGD(1.0), "sparse_categorical_crossentropy")
    result = recipes.repair(model, *_data(), epochs=5, seed=0, verbose=0)
    assert [a.accepted for a in result.attempts] == [True, True, True, False]
    assert result.retrains == 3 and result.fixed
    (change,) = result.changes  # 1 -> 0.1 -> 0.01, one change
    assert "learning_rate=0.01" in change.code
    assert result.after["val_accuracy"] == pytest.approx(0.95)


def test_a_fix_that_clears_its_cause_gets_the_next_fix_on_top(monkeypatch):
    def table(plan):
        layers = plan.model.layers
        scaled = any(isinstance(la, L.Normalization) for la in layers)
        relu = any(la.get_config().get("activation") == "relu" for la in layers)
        if not scaled:
            return 0.79, "unnormalized_input"
        return (0.93, None) if relu else (0.50, "saturated_units")

    monkeypatch.setattr(repair_module, "train", _fake(table))
    model = keras.Sequential(
        [keras.Input((4,)), L.Dense(8, "sigmoid"), L.Dense(2, "softmax")]
    )
    model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    result = recipes.repair(model, *_data(scale=100.0), epochs=5, seed=0, verbose=0)
    assert [c.fix for c in result.changes] == ["input_scaling", "relu_he"]
    assert [a.accepted for a in result.attempts] == [True, False, True]
    assert result.attempts[2].change.endswith("On top of try 1.")
    assert result.fixed and result.retrains == 2
