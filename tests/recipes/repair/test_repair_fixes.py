"""The fixes, their candidates and the outcome metric, without training."""

import keras
import numpy as np
import pytest

from callbacks import Diagnosis, Finding
from recipes.repair import _data_fixes as data_fixes
from recipes.repair import _layer_settings as settings
from recipes.repair import _model_fixes as model_fixes
from recipes.repair import fixes
from recipes.repair._arguments import make_plan
from recipes.repair._outcome import Outcome, infer_task, noise, score
from recipes.repair._plan import fresh_model, learning_rate
from recipes.repair.candidates import candidates

L = keras.layers


def _data(n=120, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 3.0, size=(n, d)).astype("float32")
    return x, rng.integers(0, classes, n)


def _sequential(act="relu", out_act="softmax", **dense):
    return keras.Sequential(
        [
            keras.Input((6,)),
            L.Dense(8, activation=act, name="h0", **dense),
            L.Dense(8, activation=act, name="h1", **dense),
            L.Dense(3, activation=out_act, name="out"),
        ]
    )


def _functional(act="relu"):
    inp = keras.Input((6,))
    h = L.Dense(8, activation=act, name="h0")(inp)
    return keras.Model(inp, L.Dense(3, activation="softmax", name="out")(h))


def _plan(model, y=None, optimizer=None, loss="sparse_categorical_crossentropy"):
    x, y0 = _data()
    model.compile(optimizer or keras.optimizers.SGD(0.5), loss, metrics=["accuracy"])
    return make_plan(
        model,
        x,
        y0 if y is None else y,
        None,
        0.25,
        epochs=5,
        batch_size=None,
        fit_kwargs={},
    )


def test_optimizer_fixes_change_a_fresh_compile_and_print_code():
    model = _sequential()
    plan = _plan(model, optimizer=keras.optimizers.SGD(0.5, momentum=0.9))
    new = fixes.LearningRate(0.1).apply(plan)
    assert learning_rate(new) == pytest.approx(0.05)
    assert learning_rate(plan) == pytest.approx(0.5)  # the plan is left alone
    code = fixes.LearningRate(0.1).change(plan).code
    assert code == "optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)"
    clipped = fixes.GradientClipping().apply(new)
    assert fresh_model(clipped, 0).optimizer.clipnorm == 1.0
    assert not fixes.GradientClipping().applies(clipped)
    adam = fixes.Optimizer("Adam", 1e-3).apply(plan)
    assert fresh_model(adam, 0).optimizer.__class__.__name__ == "Adam"
    assert model.optimizer.learning_rate.numpy() == pytest.approx(0.5)


@pytest.mark.parametrize("build", [_sequential, _functional])
def test_model_fixes_edit_a_clone_of_sequential_and_functional_models(build):
    model = build(act="sigmoid")
    plan = _plan(model)
    scaled = model_fixes.InputScaling().apply(plan)
    norm = [la for la in scaled.model.layers if isinstance(la, L.Normalization)]
    assert len(norm) == 1
    norm = norm[0]
    np.testing.assert_allclose(norm.mean.numpy().ravel(), plan.x.mean(0), rtol=1e-4)
    assert not model_fixes.InputScaling().applies(scaled)
    relu = model_fixes.ReluHe().apply(scaled)
    hidden = [layer for layer in relu.model.layers if layer.name.startswith("h")]
    assert {layer.activation.__name__ for layer in hidden} == {"relu"}
    assert isinstance(hidden[0].kernel_initializer, keras.initializers.HeNormal)
    bn = model_fixes.BatchNorm().apply(relu)
    kinds = [type(layer).__name__ for layer in bn.model.layers]
    assert kinds.count("BatchNormalization") == len(hidden)
    dropped = settings.Dropout(0.3).apply(bn)
    assert sum(isinstance(la, L.Dropout) for la in dropped.model.layers) == len(hidden)
    out = fresh_model(dropped, 0)(plan.x[:4])
    assert out.shape == (4, 3)
    # the user's model is only read
    assert model.get_layer("h0").activation.__name__ == "sigmoid"
    assert not any(isinstance(la, L.Normalization) for la in model.layers)


def test_output_head_fixes_activation_and_loss_together(tmp_path):
    model = _sequential(out_act="relu")
    plan = _plan(model)
    head = model_fixes.OutputHead()
    assert head.applies(plan)
    fixed = head.apply(plan)
    assert fixed.model.layers[-1].activation.__name__ == "softmax"
    assert not head.applies(fixed)
    change = head.change(plan)
    assert "activation='softmax'" in change.code
    multi = (np.random.default_rng(0).random((120, 3)) > 0.5).astype("float32")
    plan = _plan(_sequential(), y=multi, loss="categorical_crossentropy")
    assert plan.task == "multilabel"
    fixed = head.apply(plan)
    assert fixed.compile_config["loss"] == "binary_crossentropy"
    assert fixed.model.layers[-1].activation.__name__ == "sigmoid"
    # the edited model saves and reloads in safe mode
    model = fresh_model(model_fixes.InputScaling().apply(fixed), 0)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again(plan.x[:3]), model(plan.x[:3]), rtol=1e-5)


def test_initializers_bias_l2_and_batchnorm_momentum():
    model = _sequential(
        kernel_initializer=keras.initializers.RandomNormal(stddev=1.0),
        bias_initializer=keras.initializers.Constant(-5.0),
        kernel_regularizer=keras.regularizers.L2(0.1),
    )
    plan = _plan(model)
    init = model_fixes.Initializers().apply(plan)
    h0 = init.model.layers[0]
    assert isinstance(h0.kernel_initializer, keras.initializers.HeNormal)
    assert isinstance(h0.bias_initializer, keras.initializers.Zeros)
    weaker = settings.L2(1e-4).apply(plan)
    assert weaker.model.layers[0].kernel_regularizer.l2 == pytest.approx(1e-4)
    assert settings.L2(0.0).apply(plan).model.layers[0].kernel_regularizer is None
    bn_model = keras.Sequential(
        [keras.Input((6,)), L.BatchNormalization(momentum=0.999), L.Dense(3, "softmax")]
    )
    fixed = settings.BatchNormMomentum(0.9).apply(_plan(bn_model))
    assert fixed.model.layers[0].momentum == 0.9


def test_subclassed_models_take_only_compile_fit_and_data_fixes():
    @keras.saving.register_keras_serializable(package="test_repair")
    class Net(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = L.Dense(8, activation="sigmoid")
            self.out = L.Dense(3, activation="softmax")

        def call(self, x):
            return self.out(self.hidden(x))

    plan = _plan(Net())
    assert plan.subclassed
    assert fixes.LearningRate(0.1).applies(plan)
    assert not model_fixes.ReluHe().applies(plan)
    assert not model_fixes.InputScaling().applies(plan)


def test_data_fixes_change_the_repairs_own_copy():
    x, y = _data()
    plan = _plan(_sequential(), y=y + 1)
    assert data_fixes.LabelsFromZero().applies(plan)
    fixed = data_fixes.LabelsFromZero().apply(plan)
    assert fixed.y.min() == 0 and fixed.y_val.min() >= 0
    change = data_fixes.LabelsFromZero().change(plan)
    assert "y_train - 1" in change.code and "pipeline" in change.note
    assert not data_fixes.LabelsFromZero().applies(fixed)
    nan_plan = plan.replace(x=np.where(plan.x > 9, np.nan, plan.x))
    filled = data_fixes.ImputeMissing().apply(nan_plan)
    assert not np.isnan(filled.x).any()
    reg = _sequential(out_act=None)
    target = np.random.default_rng(0).normal(500.0, 100.0, size=120)
    rplan = _plan(reg, y=target, loss="mse")
    assert rplan.task == "regression"
    scaled = data_fixes.TargetScaling().apply(rplan)
    assert abs(scaled.y.mean()) < 1e-3 and scaled.y.std() == pytest.approx(1, rel=1e-3)


def _diagnosis(*checks, epoch=1):
    evidence = tuple(Finding(c, "error", epoch=epoch) for c in checks)
    return Diagnosis(checks[0], "s", "f", evidence)


def test_candidates_follow_the_cause_then_its_evidence():
    plan = _plan(_sequential())
    names = [f.name for f in candidates(_diagnosis("diverging_loss"), plan)]
    assert names[:2] == ["learning_rate", "optimizer"]
    dead = candidates(_diagnosis("dead_units", epoch=None), plan)
    assert dead[0].name == "initializers"
    relu_head = _plan(_sequential(out_act="relu"))
    both = candidates(_diagnosis("output_activation", "stalled_loss"), relu_head)
    assert [f.name for f in both][:3] == ["output_head", "learning_rate", "optimizer"]
    assert not any(
        f.name == "output_head"
        for f in candidates(_diagnosis("output_activation"), plan)
    )  # a softmax head needs no head fix
    # never more dropout against underfitting, never less against overfitting
    under = candidates(_diagnosis("underfitting"), plan)
    assert not any(f.name == "dropout" for f in under)
    over = candidates(_diagnosis("overfitting"), plan)
    assert [f.name for f in over][:2] == ["early_stopping", "dropout"]
    assert candidates(None, plan) == []


def test_task_and_outcome_metric_and_noise():
    assert infer_task(np.array([0, 1, 2, 1]), "sparse", 3) == "classification"
    assert infer_task(np.array([0, 1, 1, 0]), "binary", 1) == "binary"
    assert infer_task(np.array([0.5, 1.7, 3.2]), "regression", 1) == "regression"
    assert infer_task(np.eye(3)[[0, 1, 2]] + np.eye(3)[[1, 2, 0]], "one_hot", 3) == (
        "multilabel"
    )
    y = np.array([0, 1, 2, 2])
    out = np.eye(3)[[0, 1, 1, 2]]
    assert score("classification", y, out).value == 0.75
    base = Outcome("classification", 0.5, "val_accuracy", np.array([1.0, 0] * 100))
    same = noise(base, base, [0.5, 0.5, 0.5])
    assert same == pytest.approx(0, abs=1e-9)
    other = Outcome("classification", 0.5, "val_accuracy", np.array([0.0, 1] * 100))
    assert noise(base, other, [0.5, 0.5, 0.5]) > 0.05
    # a curve still rising is trend, not noise
    assert noise(base, base, [0.1, 0.2, 0.3, 0.4, 0.5]) == pytest.approx(0, abs=1e-9)


def _compiled(model):
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _linear(functional=False):
    if functional:
        inp = keras.Input((6,))
        return keras.Model(inp, L.Dense(3, activation="softmax", name="out")(inp))
    return keras.Sequential([keras.Input((6,)), L.Dense(3, "softmax", name="out")])


@pytest.mark.parametrize("functional", [False, True])
def test_capacity_adds_relu_layers_only_to_a_model_without_any(functional):
    plan = _plan(_linear(functional))
    fix = model_fixes.Capacity()
    assert fix.applies(plan)
    grown = fix.apply(plan)
    dense = [la for la in grown.model.layers if isinstance(la, L.Dense)]
    assert [la.name for la in dense] == ["capacity_0", "capacity_1", "out"]
    assert dense[0].get_config()["activation"] == "relu"
    # the plan's own model is untouched
    assert sum(isinstance(la, L.Dense) for la in plan.model.layers) == 1
    assert not fix.applies(grown) and not fix.applies(_plan(_sequential()))
    assert "Dense(64, activation='relu'" in fix.change(plan).code
    assert fresh_model(grown, 0)(plan.x[:2]).shape == (2, 3)


def test_shuffle_rows_only_where_the_split_took_other_labels():
    x, _ = _data()
    y = np.sort(np.random.default_rng(0).integers(0, 3, len(x)))  # sorted labels
    plan = _plan(_sequential(), y=y)
    assert plan.split == 0.25 and set(plan.y_val) == {2}
    fix = data_fixes.ShuffleRows()
    assert fix.applies(plan) and fix.resplits
    mixed = fix.apply(plan)
    assert len(mixed.x) == len(plan.x) and len(mixed.y_val) == len(plan.y_val)
    assert set(mixed.y_val) == {0, 1, 2}
    assert not fix.applies(mixed)
    given = make_plan(
        _compiled(_sequential()),
        plan.x,
        plan.y,
        (plan.x_val, plan.y_val),
        0.2,
        epochs=2,
        batch_size=None,
        fit_kwargs={},
    )
    assert given.split is None and not fix.applies(given)
    assert "permutation" in fix.change(plan).code


def test_held_out_scale_is_found_and_the_validation_inputs_mapped_back():
    from recipes.checks.rows import scale_shift, shifted

    x, y = _data(n=200)
    z = (x - x.mean(0)) / x.std(0)
    assert not shifted(*scale_shift(z[:150], z[150:]))  # one scale: no shift
    plan = make_plan(
        _compiled(_sequential()),
        z[:150],
        y[:150],
        (x[150:], y[150:]),  # validation left raw
        0.2,
        epochs=2,
        batch_size=None,
        fit_kwargs={},
    )
    fix = data_fixes.HeldOutScaling()
    assert fix.applies(plan)
    mapped = fix.apply(plan)
    assert np.abs(mapped.x_val.mean(0)).max() < 0.5
    assert not fix.applies(mapped)
    names = {"np": np, "x_train": plan.x, "x_val": plan.x_val}
    exec(fix.change(plan).code, names)  # the printed code runs as written
    assert np.allclose(names["x_val"], mapped.x_val, atol=1e-4)


def test_a_learning_rate_step_has_a_further_step_the_same_way():
    assert fixes.LearningRate(0.1).further() == fixes.LearningRate(0.1)
    assert model_fixes.Capacity().further() is None


@pytest.mark.parametrize("functional", [False, True])
def test_an_adapted_normalization_keeps_its_state_in_every_copy(functional):
    x, y = _data()
    norm = L.Normalization(name="norm")
    norm.adapt(x)
    if functional:
        inp = keras.Input((6,))
        h = L.Dense(8, activation="sigmoid", name="h0")(norm(inp))
        model = keras.Model(inp, L.Dense(3, activation="softmax", name="out")(h))
    else:
        model = keras.Sequential(
            [keras.Input((6,)), norm, L.Dense(8, "sigmoid", name="h0"), L.Dense(3)]
        )
    plan = _plan(model)
    rebuilt = model_fixes.BatchNorm().apply(model_fixes.ReluHe().apply(plan))
    for copy in (fresh_model(plan, 1), fresh_model(rebuilt, 2)):
        (state,) = [la for la in copy.layers if la.name == "norm"]
        assert state is not norm
        for a, b in zip(state.get_weights(), norm.get_weights()):
            np.testing.assert_allclose(a, b)
        np.testing.assert_allclose(state(x).numpy().mean(0), 0, atol=1e-4)


def test_minus_one_plus_one_labels_under_a_binary_loss_are_mapped_to_0_1():
    x, _ = _data()
    y = np.where(x[:, 0] > 5, 1.0, -1.0).astype("float32")
    model = keras.Sequential(
        [keras.Input((6,)), L.Dense(8, "relu"), L.Dense(1, "sigmoid")]
    )
    plan = _plan(model, y=y, loss="binary_crossentropy")
    assert plan.task == "binary"  # two values under BCE: not a regression
    fix = data_fixes.BinaryLabels()
    assert fix.applies(plan)
    fixed = fix.apply(plan)
    assert set(np.unique(fixed.y)) == {0.0, 1.0} and not fix.applies(fixed)
    names = {"y_train": plan.y, "y_val": plan.y_val}
    exec(fix.change(plan).code, names)  # the printed code runs as written
    np.testing.assert_array_equal(names["y_val"], fixed.y_val)
    hinge = _plan(model, y=y, loss="hinge")
    assert not fix.applies(hinge)  # a hinge loss takes -1/1 as they are
