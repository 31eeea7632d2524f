import math

import pytest

from callbacks import GeneralizationWatch, LossWatch


def drive(watch, losses, **extra):
    watch.on_train_begin()
    for epoch, loss in enumerate(losses):
        logs = {"loss": loss}
        logs.update({k: v[epoch] for k, v in extra.items()})
        watch.on_epoch_end(epoch, logs)
    watch.on_train_end()
    return [f.check for f in watch.findings]


def test_nan_loss_is_an_error_and_stops_the_other_loss_checks():
    watch = LossWatch(verbose=0)
    assert drive(watch, [2.0, math.nan, math.nan]) == ["nan_loss"]
    assert watch.findings[0].severity == "error"


def test_diverging_loss_fires_when_loss_climbs():
    assert "diverging_loss" in drive(LossWatch(verbose=0), [1.0, 0.8, 1.5])


def test_stalled_loss_fires_on_flat_loss():
    found = drive(LossWatch(verbose=0), [2.3026, 2.3025, 2.3025])
    assert found == ["stalled_loss"]


def test_stalled_loss_quiet_once_converged():
    # Loss at its floor and training accuracy 1.0: not stalled.
    found = drive(LossWatch(verbose=0), [0.01, 0.01, 0.01], accuracy=[1, 1, 1])
    assert found == []


def test_oscillating_loss_fires_on_swings():
    found = drive(LossWatch(verbose=0), [8.0, 9.1, 10.9, 9.8, 9.2, 10.3])
    assert "oscillating_loss" in found


def test_healthy_decreasing_loss_is_quiet():
    losses = [1.0, 0.5, 0.3, 0.2, 0.15, 0.16, 0.12, 0.13]
    assert drive(LossWatch(verbose=0), losses) == []


def test_overfitting_fires_on_large_gap_and_not_on_small_gap():
    big = drive(
        GeneralizationWatch(verbose=0),
        [0.5, 0.1, 0.05, 0.04],
        val_loss=[1.0, 1.5, 2.0, 2.1],
        accuracy=[0.9, 1.0, 1.0, 1.0],
        val_accuracy=[0.7, 0.6, 0.6, 0.6],
    )
    small = drive(
        GeneralizationWatch(verbose=0),
        [0.5, 0.1, 0.05],
        val_loss=[0.6, 0.2, 0.15],
        accuracy=[0.9, 0.99, 1.0],
        val_accuracy=[0.88, 0.96, 0.97],
    )
    assert big == ["overfitting"] and small == []


def test_overfitting_without_accuracy_uses_val_loss():
    found = drive(
        GeneralizationWatch(verbose=0),
        [1.0, 0.5, 0.3, 0.2, 0.15],
        val_loss=[1.0, 0.8, 1.0, 1.2, 1.4],
    )
    assert found == ["overfitting"]


def test_a_validation_loss_spike_is_not_overfitting():
    # a 17x jump for one epoch, then back: instability, not overfitting
    found = drive(
        GeneralizationWatch(verbose=0),
        [1.0, 0.5, 0.3, 0.2, 0.15, 0.1],
        val_loss=[1.0, 0.8, 13.6, 0.8, 0.75, 0.7],
    )
    assert found == []


def test_textbook_overfit_is_reported_and_an_early_gap_that_closes_is_not():
    # train 1.0, validation flat at ~0.81 and its loss rising for 6 epochs
    textbook = drive(
        GeneralizationWatch(verbose=0),
        [0.6, 0.3, 0.1, 0.05, 0.03, 0.02, 0.015, 0.01, 0.008],
        val_loss=[0.7, 0.6, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85],
        accuracy=[0.8, 0.9, 0.97, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        val_accuracy=[0.75, 0.8, 0.81, 0.81, 0.8, 0.81, 0.81, 0.8, 0.81],
    )
    # BatchNormalization statistics lagging: validation at chance while the
    # training accuracy is 90 %, then it catches up
    lagging = drive(
        GeneralizationWatch(verbose=0),
        [1.5, 0.6, 0.4, 0.3, 0.25, 0.2, 0.18, 0.15, 0.12],
        val_loss=[2.3, 2.3, 2.3, 2.2, 2.0, 1.2, 0.5, 0.2, 0.1],
        accuracy=[0.6, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98],
        val_accuracy=[0.1, 0.1, 0.1, 0.11, 0.2, 0.6, 0.9, 0.96, 0.98],
    )
    assert textbook == ["overfitting"] and lagging == []


def test_underfitting_fires_at_train_end_with_low_accuracy():
    found = drive(
        GeneralizationWatch(verbose=0),
        [2.0, 1.9, 1.9],
        val_loss=[2.0, 1.9, 1.9],
        accuracy=[0.35, 0.35, 0.36],
        val_accuracy=[0.34, 0.34, 0.35],
    )
    improving = drive(
        GeneralizationWatch(verbose=0),
        [2.0, 1.9, 1.5],
        val_loss=[2.0, 1.9, 1.5],
        accuracy=[0.30, 0.35, 0.45],
        val_accuracy=[0.31, 0.34, 0.44],
    )
    assert found == ["underfitting"] and improving == []


def test_generalization_gap_goes_into_logs():
    watch = GeneralizationWatch(verbose=0)
    watch.on_train_begin()
    logs = {"loss": 0.2, "val_loss": 0.3, "accuracy": 0.9, "val_accuracy": 0.85}
    watch.on_epoch_end(0, logs)
    assert logs["generalization_gap"] == pytest.approx(0.05)


@pytest.mark.parametrize(
    "make",
    [
        lambda: LossWatch(min_delta=0),
        lambda: LossWatch(min_delta=2.0),
        lambda: LossWatch(verbose=5),
        lambda: LossWatch(stop_on="sometimes"),
        lambda: GeneralizationWatch(max_gap=1.5),
    ],
)
def test_bad_arguments_raise_value_error(make):
    with pytest.raises(ValueError, match="Received"):
        make()


def test_oscillating_loss_fires_within_epochs_for_batch_1_high_momentum():
    import keras

    from tests.callbacks._models import compile_, dense_net, digits

    x, y = digits(400)
    opt = keras.optimizers.SGD(0.03, momentum=0.95)
    bad = compile_(dense_net(64, [64, 64], out=10, activation="tanh"), opt)
    watch = LossWatch(verbose=0)
    bad.fit(x, y, epochs=2, batch_size=1, verbose=0, callbacks=[watch])
    calm = LossWatch(verbose=0)
    good = compile_(dense_net(64, [64, 64], out=10, activation="tanh"))
    good.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[calm])
    # With PyTorch's initial weights this setting already climbs past 1.5x its
    # best loss: diverging, the stronger form of the same finding.
    found = {f.check for f in watch.findings}
    assert found & {"oscillating_loss", "diverging_loss"}
    assert calm.findings == []


def test_a_large_l2_penalty_is_not_divergence():
    """Wide layers with a big L2 start at a total loss of many times ln(C);
    the data loss is what is compared with the chance level."""
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 20)).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")
    reg = keras.regularizers.L2(0.05)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(
                512, "relu", kernel_initializer="he_normal", kernel_regularizer=reg
            ),
            keras.layers.Dense(3, activation="softmax", kernel_regularizer=reg),
        ]
    )
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    assert model.evaluate(x, y, verbose=0) > 3 * math.log(3)  # penalty dominates
    watch = LossWatch(verbose=0)
    model.fit(x, y, epochs=2, batch_size=64, verbose=0, callbacks=[watch])
    assert "diverging_loss" not in [f.check for f in watch.findings]


def test_noise_on_a_loss_near_zero_is_not_divergence():
    assert "diverging_loss" not in drive(LossWatch(verbose=0), [2.3, 0.5, 0.05, 0.08])
    # climbing back over half of the progress is
    assert "diverging_loss" in drive(LossWatch(verbose=0), [2.3, 0.5, 0.05, 1.5])


def test_early_gap_while_validation_still_improves_is_not_overfitting():
    # BatchNormalization's moving statistics lag at first: val accuracy is low
    # but climbing
    found = drive(
        GeneralizationWatch(verbose=0),
        [0.5, 0.2, 0.1, 0.05],
        accuracy=[0.9, 0.97, 0.99, 1.0],
        val_loss=[2.0, 1.5, 1.0, 0.6],
        val_accuracy=[0.3, 0.5, 0.7, 0.8],
    )
    assert "overfitting" not in found
