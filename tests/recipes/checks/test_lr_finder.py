"""recipes.find_learning_rate: the sweep, the suggestion, the plot, bad input,
and the model left exactly as it was found."""

import keras
import numpy as np
import pytest

from recipes.checks.lr_finder import RULES, LRFinderResult, find_learning_rate


def _problem(rng, n=256):
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 3))).argmax(1)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.SGD(0.01, momentum=0.9), "sparse_categorical_crossentropy"
    )
    return model, x, y


def test_sweep_stops_on_divergence_and_suggests_a_rate(rng):
    model, x, y = _problem(rng)
    result = find_learning_rate(model, x, y, min_lr=1e-5, max_lr=100.0, num_steps=60)
    assert isinstance(result, LRFinderResult)
    lrs = result.learning_rates
    assert lrs[0] == pytest.approx(1e-5)
    assert np.all(np.diff(np.log(lrs)) == pytest.approx(np.log(1e7) / 59))
    # the loss blows up long before 100: the sweep stops early
    assert result.stop_reason in ("diverged", "nan")
    assert len(lrs) < 60 and len(result.losses) == len(result.smoothed_losses)
    assert set(result.suggestions) == set(RULES)
    best = result.learning_rates[np.argmin(result.smoothed_losses)]
    rates = result.suggestions
    assert rates["minimum"] == pytest.approx(best / 10)
    assert 1e-5 < rates["steepest"] <= best
    assert rates["steepest_capped"] == pytest.approx(min(rates["steepest"], best / 3))
    assert result.suggested_learning_rate == rates["steepest"]
    assert result.rule == "steepest"
    assert result.smoothed_losses.min() < 0.9 * result.smoothed_losses[0]
    assert result.findings == []
    assert "suggested_learning_rate" in str(result)


def test_valley_is_halfway_down_the_longest_descent_despite_a_bump():
    from recipes.checks.lr_finder import _valley

    # flat for 10 steps, falls over steps 10..29 (one upward blip at 20), rises
    curve = np.concatenate([np.full(10, 5.0), np.linspace(4.9, 1.0, 20), [2, 4, 8]])
    curve[20] = curve[18]
    assert 16 <= _valley(curve) <= 23
    # a short early dip loses to the long descent that follows
    dip = np.concatenate([[3.0, 2.0, 3.0], np.linspace(2.9, 0.5, 30), [1.0]])
    assert 10 <= _valley(dip) <= 25
    assert _valley(np.array([1.0, 2.0, 3.0])) == 0  # never falls: the first step


def test_model_and_optimizer_left_exactly_as_found(rng):
    model, x, y = _problem(rng)
    model.fit(x, y, epochs=1, batch_size=64, verbose=0)  # optimizer has state
    weights = [w.copy() for w in model.get_weights()]
    slots = [np.array(v.numpy()) for v in model.optimizer.variables]
    find_learning_rate(model, x, y, min_lr=1e-4, max_lr=10.0, num_steps=30)
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, v in zip(slots, model.optimizer.variables):
        np.testing.assert_array_equal(a, v.numpy())
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


def test_rule_and_flat_curve_warning(rng):
    model, x, y = _problem(rng)
    for rule in RULES:
        found = find_learning_rate(
            model, x, y, min_lr=1e-4, max_lr=10.0, num_steps=30, rule=rule
        )
        assert found.suggested_learning_rate == found.suggestions[rule]
    flat = find_learning_rate(model, x, y, min_lr=1e-9, max_lr=1e-8, num_steps=10)
    assert flat.stop_reason == "max_lr"
    assert [f.check for f in flat.findings] == ["lr_range_test"]


def test_plot_writes_png(rng, tmp_path):
    model, x, y = _problem(rng)
    result = find_learning_rate(model, x, y, min_lr=1e-4, max_lr=10.0, num_steps=20)
    fig = result.plot(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").read_bytes()[:4] == b"\x89PNG"
    assert fig.axes[0].get_xscale() == "log"
    result.plot()  # a figure, no file
    assert [p.name for p in tmp_path.iterdir()] == ["lr.png"]
    assert result.to_dict()["suggested_learning_rate"] == result.suggested_learning_rate


def test_bad_input(rng):
    model, x, y = _problem(rng)
    uncompiled = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="not compiled"):
        find_learning_rate(uncompiled, x, y)
    with pytest.raises(ValueError, match="min_lr"):
        find_learning_rate(model, x, y, min_lr=1.0, max_lr=0.1)
    with pytest.raises(ValueError, match="one to one"):
        find_learning_rate(model, x, y[:10])
    with pytest.raises(ValueError, match="shaped"):
        find_learning_rate(model, x[:, :4], y)
    with pytest.raises(ValueError, match="non-empty"):
        find_learning_rate(model, x[:0], y[:0])
    x_nan = x.copy()
    x_nan[0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        find_learning_rate(model, x_nan, y)
    with pytest.raises(ValueError, match="rule"):
        find_learning_rate(model, x, y, rule="valley!")


def test_nan_loss_at_first_step_is_a_clear_error(rng):
    _, x, y = _problem(rng)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(
                3,
                activation="softmax",
                kernel_initializer=keras.initializers.Constant(np.nan),
            ),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="not finite at the first step"):
        find_learning_rate(model, x, y, num_steps=10)
