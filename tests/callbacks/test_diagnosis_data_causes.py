"""A data cause is the verdict over the consequences it produces, and the
head check finds multi-hot targets under softmax whatever the loss."""

import keras
import numpy as np
import pytest

from callbacks import Finding, diagnose
from callbacks.heads import head_findings, is_multi_hot


def F(check, severity="warning", epoch=None, **kw):
    return Finding(check, severity, epoch=epoch, **kw)


@pytest.mark.parametrize(
    "consequences",
    [
        # unscaled inputs kill ReLUs at initialization, then the loss diverges
        [F("dead_units", "error"), F("diverging_loss", "error", 0)],
        # ... or blow the initial loss up and make it NaN
        [F("initial_loss", "error"), F("nan_loss", "error", 1)],
        # ... or stall the run behind saturated units
        [F("saturated_units", "warning"), F("stalled_loss", "warning", 2)],
        # ... or make it oscillate
        [F("oscillating_loss", "warning", 1), F("underfitting", "warning", 4)],
        [F("dead_units", "error", 1), F("overfit_small_subset", "error")],
        # ... or make the updates jump (the learning-rate symptoms, as warnings)
        [F("oscillating_loss", "warning", 1), F("exploding_gradients", "warning", 1)],
        # exploding gradients before the first update, then NaN
        [F("exploding_gradients", "warning"), F("nan_loss", "error", 0)],
    ],
)
def test_unscaled_inputs_explain_what_they_cause(consequences):
    for severity in ("info", "warning"):
        found = [F("unnormalized_input", severity), *consequences]
        verdict = diagnose(found)
        assert verdict.cause == "unnormalized_input", (severity, consequences)
        assert {f.check for f in consequences} <= {f.check for f in verdict.evidence}
        assert verdict.evidence[0].check == "unnormalized_input"


def test_a_learning_rate_alone_still_explains_a_divergence_from_a_sound_start():
    # mildly unscaled inputs (digits 0..16) and SGD lr=1.0: nothing was wrong
    # before the first update, so the learning rate is the verdict
    found = [F("unnormalized_input", "info"), F("diverging_loss", "error", 0)]
    assert diagnose(found).cause == "diverging_loss"
    found += [F("dead_units", "error", 1), F("overfit_small_subset", "error")]
    assert diagnose(found).cause == "diverging_loss"
    # pre-flight training checks run with the user's learning rate, and a
    # baseline check says nothing of the inputs' scale: neither counts
    found += [F("input_independent_baseline", "error")]
    assert diagnose(found).cause == "diverging_loss"
    # dead units before the first update do: no learning rate made them
    assert diagnose(found + [F("dead_units", "warning")]).cause == (
        "unnormalized_input"
    )


def test_labels_out_of_range_explain_divergence():
    # labels the loss cannot take: an error, the verdict over any consequence
    found = [F("diverging_loss", "error", 0), F("label_range", "error")]
    found += [F("nan_loss", "error", 1), F("dead_units", "error", 0)]
    assert diagnose(found).cause == "label_range"
    # targets far from unit scale (info) under a diverging loss whose initial
    # loss was already far off: the targets, not the learning rate
    found = [F("label_range", "info"), F("diverging_loss", "error", 0)]
    assert diagnose(found).cause == "diverging_loss"
    verdict = diagnose(found + [F("initial_loss", "error")])
    assert verdict.cause == "label_range"
    # a stall of a regression with unscaled targets
    assert diagnose(
        [F("label_range", "info"), F("stalled_loss", "warning", 3)]
    ).cause == ("label_range")


def test_healthy_runs_stay_silent():
    # info facts on a run that learns well: no verdict at all
    found = [
        F("unnormalized_input", "info"),
        F("label_range", "info"),
        F("dead_units", "info", 2),
        F("initial_loss", "info"),
    ]
    assert diagnose(found) is None
    # a non-failing warning is not explained by an info data fact
    found = [F("unnormalized_input", "info"), F("class_imbalance", "warning")]
    assert diagnose(found).cause == "class_imbalance"


def _head(units, activation, loss):
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(units, activation=activation)]
    )
    model.compile("adam", loss)
    return model


MULTI_HOT = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]], "float32")


@pytest.mark.parametrize(
    "loss",
    [
        "categorical_crossentropy",
        "mse",
        "mae",
        "binary_crossentropy",
        keras.losses.MeanSquaredError(),
        "kl_divergence",
    ],
)
def test_multi_hot_under_softmax_is_found_whatever_the_loss(loss):
    (found,) = head_findings(_head(3, "softmax", loss), MULTI_HOT)
    assert found.check == "output_activation" and found.severity == "error"
    assert "multi-hot" in found.message
    assert "sigmoid" in found.suggestion and "binary_crossentropy" in found.suggestion
    verdict = diagnose([found, F("stalled_loss", "warning", 2)])
    assert verdict.cause == "output_activation"
    assert "sigmoid" in verdict.suggestion


def test_multi_hot_is_told_from_one_hot_and_probabilities():
    assert is_multi_hot(MULTI_HOT)
    smoothed = MULTI_HOT * 0.9 + 0.05  # label smoothing keeps it multi-hot
    assert is_multi_hot(smoothed)
    assert not is_multi_hot(np.eye(3)[[0, 1, 2, 1]])
    assert not is_multi_hot(np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]))
    assert not is_multi_hot(np.array([0, 1, 1]))
    # the right head stays quiet; sigmoid under a categorical loss is told
    # to use binary cross-entropy, not softmax
    assert head_findings(_head(3, "sigmoid", "binary_crossentropy"), MULTI_HOT) == []
    assert head_findings(_head(3, "softmax", "mse"), np.eye(3)[[0, 1, 2, 0]]) == []
    (found,) = head_findings(_head(3, "sigmoid", "categorical_crossentropy"), MULTI_HOT)
    assert "binary_crossentropy" in found.suggestion
