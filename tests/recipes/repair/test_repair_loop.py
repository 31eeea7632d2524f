"""`recipes.repair` end to end on tiny seeded programs (real training)."""

import os

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

import recipes

L = keras.layers


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    order = np.random.default_rng(0).permutation(len(data.target))[:900]
    return (data.data[order] / 16).astype("float32"), data.target[order]


def _mlp(out_act="softmax"):
    return keras.Sequential(
        [
            keras.Input((64,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation=out_act),
        ]
    )


def test_a_far_too_high_learning_rate_is_fixed_and_shown_as_code(digits):
    x, y = digits
    model = _mlp()
    model.compile(keras.optimizers.SGD(5.0), "sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    config = model.optimizer.get_config()
    result = recipes.repair(model, x, y, epochs=4, seed=0, verbose=0)
    assert result.diagnosis_before is not None
    assert result.fixed and 1 <= result.retrains <= 6
    assert result.after["val_accuracy"] > result.before["val_accuracy"] + 0.3
    assert result.changes[0].fix in ("learning_rate", "optimizer")
    assert "keras.optimizers." in str(result)
    assert str(result).startswith("Repair: val_accuracy")
    assert len(result.table()) == result.retrains + 1
    assert result.model is not model
    # the user's model object is never changed
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.optimizer.get_config() == config
    assert "<table>" in result._repr_html_()


def test_a_healthy_program_is_left_alone(digits):
    x, y = digits
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    result = recipes.repair(model, x, y, epochs=4, seed=0, verbose=0)
    assert result.diagnosis_before is None
    assert result.retrains == 0 and result.changes == () and not result.fixed
    assert "nothing to fix" in str(result)


def test_one_based_labels_are_shifted_on_the_repairs_copy(digits):
    x, y = digits
    keep = y < 9  # classes 0..8 as labels 1..9, 9 outputs
    x, y = x[keep], y[keep] + 1
    model = keras.Sequential(
        [keras.Input((64,)), L.Dense(32, activation="relu"), L.Dense(9, "softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    result = recipes.repair(model, x, y, epochs=3, seed=0, verbose=0)
    assert result.diagnosis_before.cause == "label_range"
    assert result.fixed
    assert [c.fix for c in result.changes] == ["labels_from_zero"]
    assert "y_train - 1" in str(result)
    assert any("pipeline" in note for note in result.notes)
    assert y.min() == 1  # the user's labels are untouched


def test_no_retrain_allowed_means_no_fix(digits):
    x, y = digits
    model = _mlp(out_act="relu")
    model.compile("adam", "sparse_categorical_crossentropy")
    result = recipes.repair(model, x, y, epochs=2, seed=0, max_retrains=0, verbose=0)
    assert result.diagnosis_before.cause == "output_activation"
    assert result.retrains == 0 and not result.fixed
    assert result.after == result.before


def test_output_dir_holds_the_report_and_the_repaired_model(digits, tmp_path):
    x, y = digits
    model = _mlp(out_act="relu")
    model.compile("adam", "sparse_categorical_crossentropy")
    out = tmp_path / "repair"
    result = recipes.repair(
        model, x, y, epochs=3, seed=0, max_retrains=1, output_dir=out, verbose=0
    )
    assert result.run_dir == str(out)
    assert sorted(os.listdir(out)) == [
        "curves_after.png",
        "curves_before.png",
        "model.keras",
        "report.html",
        "report.md",
    ]
    text = (out / "report.md").read_text()
    assert result.headline() in text
    reloaded = keras.saving.load_model(out / "model.keras")
    np.testing.assert_allclose(
        reloaded(x[:5]), result.model(x[:5]), rtol=1e-5, atol=1e-6
    )
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []


def _compiled():
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(model="not a model"), TypeError, "compiled keras.Model"),
        (dict(model=_mlp()), ValueError, "must be compiled"),
        (dict(epochs=0), ValueError, "epochs"),
        (dict(batch_size=-2), ValueError, "batch_size"),
        (dict(max_retrains=-1), ValueError, "max_retrains"),
        (dict(validation_split=0.0), ValueError, "validation_split"),
        (dict(validation_split=1.5), ValueError, "validation_split"),
        (dict(validation_data=([1], [2], [3])), ValueError, "validation_data"),
        (dict(y=np.zeros(5)), ValueError, "one row per example"),
        (dict(verbose=3), ValueError, "verbose"),
        (dict(initial_epoch=2), TypeError, "initial_epoch"),
        (dict(steps_per_epoch=2), TypeError, "steps_per_epoch"),
        (dict(class_weight=[1, 2]), TypeError, "class_weight"),
        (dict(shuffle="batch"), TypeError, "shuffle"),
    ],
)
def test_bad_inputs_raise_before_training(digits, kwargs, error, words, monkeypatch):
    from recipes.repair import _train

    def never(*args, **kw):
        raise AssertionError("trained")

    monkeypatch.setattr(_train.keras.Model, "fit", never)
    x, y = digits
    args = dict(model=_compiled(), x=x, y=y, epochs=2, verbose=0)
    args.update(kwargs)
    with pytest.raises(error, match="Received") as info:
        recipes.repair(args.pop("model"), args.pop("x"), args.pop("y"), **args)
    assert words in str(info.value)


def test_a_full_output_dir_is_refused_before_training(digits, tmp_path):
    (tmp_path / "old.txt").write_text("x")
    x, y = digits
    with pytest.raises(ValueError, match="not empty"):
        recipes.repair(_compiled(), x, y, epochs=2, output_dir=tmp_path, verbose=0)


def test_class_weight_and_shuffle_reach_every_fit(digits, monkeypatch):
    from recipes.repair import _train

    seen, real = [], _train.train_babysat

    def recording(*args, **kwargs):
        seen.append((kwargs["class_weight"], kwargs["shuffle"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(_train, "train_babysat", recording)
    x, y = digits
    weights = {i: 1.0 + (i == 3) for i in range(10)}
    recipes.repair(
        _compiled(),
        x[:300],
        y[:300],
        epochs=1,
        max_retrains=0,
        verbose=0,
        class_weight=weights,
        shuffle=False,
    )
    assert seen == [(weights, False)]
