import csv
import functools
import json
import os

import keras
import numpy as np
import pytest

from recipes import datasets
from recipes.models.mlp import build_mlp
from recipes.run.babysit import BabysitResult, babysit

FILES = (
    "report.md",
    "history.csv",
    "findings.json",
    "metrics.json",
    "model.keras",
    "curves.png",
    "layer_health.png",
    "activation_histograms.png",
    "confusion_matrix.png",
)
TINY = {"hidden_units": (16,), "dropout": 0.0}


def _iris():
    return datasets.load("iris", seed=0)


def _babysit(tmp_path, x, y, **kwargs):
    args = dict(
        epochs=2,
        batch_size=32,
        preflight=False,
        learning_rate=1e-2,
        model=functools.partial(build_mlp, **TINY),
        output_dir=tmp_path / "run",
        seed=0,
        verbose=0,
    )
    args.update(kwargs)
    return babysit(x, y, **args)


def test_run_folder_is_complete_and_consistent(tmp_path):
    data = _iris()
    result = _babysit(
        tmp_path,
        data.x_train,
        data.y_train,
        x_test=data.x_test,
        y_test=data.y_test,
        class_names=data.class_names,
    )
    assert isinstance(result, BabysitResult)
    run = tmp_path / "run"
    assert result.run_dir == str(run)
    for name in FILES:
        assert (run / name).stat().st_size > 0, name
    # Nothing half-written is left next to the run.
    assert sorted(os.listdir(tmp_path)) == ["run"]

    report = (run / "report.md").read_text()
    for section in ("## What was run", "## Findings", "## Test metrics", "## Figures"):
        assert section in report
    for name in FILES:
        if name.endswith(".png"):
            assert f"({name})" in report
    assert "versicolor" in report  # per-class table uses the class names

    with open(run / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(result.history["loss"]) == 2
    assert "dead_fraction" in rows[0] and "val_loss" in rows[0]
    assert [r["epoch"] for r in rows] == ["1", "2"]  # from 1, as Keras shows

    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == pytest.approx(result.metrics["accuracy"])
    assert metrics["test"]["num_examples"] == len(data.x_test)
    assert metrics["training"]["learning_rate"] == pytest.approx(1e-2)
    assert np.sum(metrics["test"]["confusion_matrix"]) == len(data.x_test)

    findings = json.loads((run / "findings.json").read_text())
    assert len(findings) == len(result.findings)
    assert all(f["stage"] and f["check"] and f["severity"] for f in findings)

    reloaded = keras.saving.load_model(run / "model.keras")  # safe mode
    np.testing.assert_allclose(
        reloaded.predict(data.x_test, verbose=0),
        result.model.predict(data.x_test, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
    assert "Test accuracy" in result.summary()


def test_splits_and_regression(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=120)
    result = _babysit(tmp_path, x, y, test_split=0.25)
    assert result.metrics["task"] == "regression"
    assert result.metrics["num_examples"] == 30
    assert set(result.metrics) >= {"mae", "rmse", "r2"}
    run = tmp_path / "run"
    assert not (run / "confusion_matrix.png").exists()
    assert "RMSE" in (run / "report.md").read_text()


def test_bad_input_fails_before_anything_is_written(tmp_path):
    data = _iris()
    x, y = data.x_train, data.y_train
    bad_x = x.copy()
    bad_x[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _babysit(tmp_path, bad_x, y)
    with pytest.raises(ValueError, match="at least two classes"):
        _babysit(tmp_path, x, np.zeros(len(x), "int64"))
    with pytest.raises(ValueError, match="must match one to one|entries"):
        _babysit(tmp_path, x, y[:-1])
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        _babysit(tmp_path, x, y, output_dir=tmp_path / "busy")
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ValueError, match="Cannot write"):
        _babysit(tmp_path, x, y, output_dir=tmp_path / "a_file" / "run")
    with pytest.raises(ValueError, match="epochs"):
        _babysit(tmp_path, x, y, epochs=0)
    assert sorted(os.listdir(tmp_path)) == ["a_file", "busy"]


def test_failed_run_never_looks_finished(tmp_path, monkeypatch):
    import recipes.run.evaluation

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(recipes.run.evaluation, "evaluate", broken)
    data = _iris()
    with pytest.raises(RuntimeError, match="disk full"):
        _babysit(tmp_path, data.x_train, data.y_train)
    assert os.listdir(tmp_path) == []


def test_whole_recipe_with_preflight_and_range_test(tmp_path):
    """Images -> build_cnn; no rate given -> the range test picks it."""
    import recipes

    data = datasets.load("digits", seed=0)
    x, y = data.x_train[:240], data.y_train[:240]
    result = recipes.babysit(
        x,
        y,
        x_test=data.x_test[:60],
        y_test=data.y_test[:60],
        epochs=2,
        model=functools.partial(recipes.build_cnn, filters=(8,)),
        output_dir=tmp_path / "run",
        seed=0,
        verbose=0,
    )
    assert isinstance(result, recipes.BabysitResult)
    assert result.preflight is not None and result.lr_test is not None
    assert result.learning_rate == pytest.approx(result.lr_test.suggested_learning_rate)
    assert result.model.name == "cnn"
    run = tmp_path / "run"
    assert (run / "lr_range_test.png").stat().st_size > 0
    report = (run / "report.md").read_text()
    assert "## Pre-flight checks" in report and "(range test)" in report
    stages = {f["stage"] for f in json.loads((run / "findings.json").read_text())}
    assert stages <= {"preflight", "lr_range_test", "training", "baseline"}


def test_summary_says_when_the_rate_was_lowered():
    def result(rates):
        return BabysitResult(
            model=None,
            history={"loss": [1.0] * len(rates), "learning_rate": rates},
            findings=[],
            metrics={},
            learning_rate=0.01,
        )

    assert "lowered to 0.001 by ReduceLROnPlateau" in result([0.01, 0.001]).summary()
    assert "lowered" not in result([0.01, 0.01]).summary()
