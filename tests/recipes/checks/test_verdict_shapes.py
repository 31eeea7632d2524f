"""The verdict on new shapes, with a real (tiny, seeded) fit: unscaled inputs
into an MLP and a small CNN, labels 1..C, targets far from unit scale,
multi-hot targets under softmax with cross-entropy and with MSE, a table with
few distinct rows, a leaked validation split."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import Babysitter, diagnose
from recipes.checks.preflight import preflight
from recipes.checks.rows import repetition

DATA_CHECKS = ["unnormalized_input", "label_range", "output_activation", "initial_loss"]


def _verdict(model, x, y, val, *, epochs=2, batch_size=32, fit=True):
    """Pre-flight data checks + a babysat fit; the diagnosis of all findings."""
    report = preflight(model, x, y, validation_data=val, checks=DATA_CHECKS)
    found = list(report.findings)
    if fit:
        sitter = Babysitter(verbose=0)
        model.fit(
            x,
            y,
            validation_data=val,
            epochs=epochs,
            batch_size=batch_size,
            verbose=0,
            callbacks=[sitter],
        )
        found += sitter.findings
    return diagnose(found), found


def _mlp(d, out, head="softmax", widths=(64, 64)):
    layers = [keras.Input((d,))]
    layers += [keras.layers.Dense(w, activation="relu") for w in widths]
    return keras.Sequential(layers + [keras.layers.Dense(out, activation=head)])


def _table(n, d, classes, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    return x, (x @ rng.normal(size=(d, classes))).argmax(1), rng


def _of(found, check):
    return [f for f in found if f.check == check]


def test_one_feature_in_the_hundreds_among_many_is_the_verdict_over_dead_units():
    # 100 standardized features and one at 300 +- 30: the mean and std over
    # the features (3 and 3.2) and their percentiles look tame (the check
    # used to pass it), but the inputs' RMS is 30: the first layer's
    # pre-activations are ~30x too large, the ReLUs die, the loss diverges
    keras.utils.set_random_seed(0)
    x, y, _ = _table(800, 100, 3)
    x[:, 0] = x[:, 0] * 30 + 300
    model = _mlp(100, 3)
    model.compile(
        keras.optimizers.SGD(0.01, momentum=0.9), "sparse_categorical_crossentropy"
    )
    verdict, found = _verdict(model, x[:600], y[:600], (x[600:], y[600:]))
    (scale,) = _of(found, "unnormalized_input")
    assert "feature 0 alone" in scale.message and scale.severity == "warning"
    assert verdict.cause == "unnormalized_input"
    assert "Normalization" in verdict.suggestion
    consequences = {f.check for f in verdict.evidence[1:]}
    assert consequences & {"dead_units", "diverging_loss", "oscillating_loss"}


def test_a_feature_in_the_thousands_is_the_verdict():
    keras.utils.set_random_seed(0)
    x, y, _ = _table(800, 8, 3)
    x[:, 0] = x[:, 0] * 800 + 3000
    model = _mlp(8, 3)
    model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    verdict, found = _verdict(model, x[:600], y[:600], (x[600:], y[600:]))
    assert _of(found, "unnormalized_input")[0].severity == "warning"
    assert verdict.cause == "unnormalized_input"


def test_raw_pixels_into_a_small_cnn_are_the_verdict():
    keras.utils.set_random_seed(0)
    bunch = load_digits()
    x = (bunch.images[:700, ..., None] * 16).astype("float32")  # 0..255
    y = bunch.target[:700]
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.SGD(0.01, momentum=0.9), "sparse_categorical_crossentropy"
    )
    verdict, found = _verdict(model, x[:550], y[:550], (x[550:], y[550:]))
    assert verdict.cause == "unnormalized_input"
    assert _of(found, "unnormalized_input")[0].layer == model.layers[0].name


def test_mildly_unscaled_inputs_on_a_run_that_learns_stay_info():
    # digits 0..16 under Adam: the scale is a fact, the run is healthy
    keras.utils.set_random_seed(0)
    x, y = load_digits(return_X_y=True)
    x, y = x[:900].astype("float32"), y[:900]
    model = _mlp(64, 10)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    verdict, found = _verdict(model, x[:700], y[:700], (x[700:], y[700:]), epochs=3)
    (scale,) = _of(found, "unnormalized_input")
    assert scale.severity == "info"
    assert verdict is None, str(verdict)


def test_labels_one_to_c_under_sparse_cross_entropy_are_the_verdict():
    keras.utils.set_random_seed(0)
    x, y, _ = _table(300, 8, 3)
    model = _mlp(8, 3)
    model.compile("adam", "sparse_categorical_crossentropy")
    # Keras on the CPU refuses id 3 of 3 classes in fit: the pre-flight
    # finding alone is the verdict, over what a fit would show
    verdict, found = _verdict(model, x, y + 1, (x[:50], y[:50] + 1), fit=False)
    assert verdict.cause == "label_range" and "0..C-1" in verdict.suggestion
    from callbacks import Finding

    consequences = [
        Finding("diverging_loss", "error", epoch=0),
        Finding("nan_loss", "error", epoch=1),
    ]
    assert diagnose(found + consequences).cause == "label_range"


def test_targets_far_from_unit_scale_are_the_verdict_over_divergence():
    # prices in the tens under MSE and SGD: the initial loss is 25x the
    # targets' variance before any update, the loss then diverges
    keras.utils.set_random_seed(0)
    x, _, rng = _table(800, 10, 1)
    y = (x @ rng.normal(size=10) * 3 + 50).astype("float32")
    model = _mlp(10, 1, head=None, widths=(32, 32))
    model.compile(keras.optimizers.SGD(0.01), "mse")
    verdict, found = _verdict(model, x[:600], y[:600], (x[600:], y[600:]))
    (targets,) = _of(found, "label_range")
    assert targets.severity == "info" and targets.value > 10
    assert verdict.cause == "label_range"
    assert "Standardize the targets" in verdict.suggestion


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse"])
def test_multi_hot_under_softmax_is_the_verdict_whatever_the_loss(loss):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 20)).astype("float32")
    y = (x @ rng.normal(size=(20, 5)) > 0.5).astype("float32")
    model = _mlp(20, 5, widths=(32,))
    model.compile("adam", loss)
    verdict, found = _verdict(model, x[:500], y[:500], (x[500:], y[500:]))
    assert verdict.cause == "output_activation"
    assert "sigmoid" in verdict.suggestion
    assert "binary_crossentropy" in verdict.suggestion


def _overlap(x, y, val):
    model = _mlp(x.shape[1], 2, widths=(8,))
    model.compile("adam", "sparse_categorical_crossentropy")
    report = preflight(model, x, y, validation_data=val, checks=["train_test_overlap"])
    return report.findings


def test_a_table_with_five_distinct_rows_repeats_by_nature():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 3, size=(5, 4)).astype("float32")
    pick = rng.integers(0, 5, 400)
    x, y = base[pick], (pick % 2)
    # every validation row occurs in training, and so does every training row
    assert repetition(x[:300], x[300:])[:2] == (1.0, 1.0)
    assert _overlap(x[:300], y[:300], (x[300:], y[300:])) == []


def test_a_leaked_validation_split_is_found():
    x, y, rng = _table(400, 6, 2)
    leak = rng.choice(300, 100, replace=False)  # validation copied from training
    (found,) = _overlap(x[:300], y[:300], (x[leak], y[leak]))
    assert found.severity == "warning" and found.value == 1.0
    assert found.threshold == 0.0 and "0% of training rows" in found.message
    # the same table with 40 of its 100 rows repeated inside training, and a
    # validation split drawn the same way: as many repeats, no finding
    pool = np.concatenate([x, x[:160]])
    order = rng.permutation(len(pool))
    train, held = pool[order[:448]], pool[order[448:]]
    base, share, _ = repetition(train, held)
    assert base > 0.2 and abs(share - base) < 0.15
    assert _overlap(train, (train[:, 0] > 0).astype(int), (held, held[:, 0] > 0)) == []
    # a partial leak: a third of validation copied on top of new rows
    mixed = np.concatenate([x[300:], x[:50]])
    (found,) = _overlap(x[:300], y[:300], (mixed, np.zeros(len(mixed), int)))
    assert found.severity == "warning" and found.value == pytest.approx(1 / 3)
