"""Every script in examples/ runs, with tiny settings, so none rots."""

import importlib.util
import pathlib
import runpy
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    path = EXAMPLES / f"{name}.py"
    if not path.exists():
        pytest.skip(f"{path.name} is not written yet")
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_script(name, argv, monkeypatch):
    path = EXAMPLES / f"{name}.py"
    if not path.exists():
        pytest.skip(f"{path.name} is not written yet")
    monkeypatch.setattr(sys, "argv", [str(path), *argv])
    return runpy.run_path(str(path), run_name="__main__")


def test_every_example_has_a_test():
    tested = {
        "quickstart",
        "mnist1d_cnn",
        "init_experiment",
        "callbacks_in_existing_project",
        "tune_digits",
        "messy_table",
    }
    assert {p.stem for p in EXAMPLES.glob("*.py")} <= tested


def test_quickstart():
    accuracy = _load("quickstart").main(epochs=2)
    assert 0.0 <= accuracy <= 1.0


def test_mnist1d_cnn(tmp_path):
    result = _load("mnist1d_cnn").main(
        epochs=1, samples=300, filters=(8,), output_dir=tmp_path / "run"
    )
    assert (tmp_path / "run" / "report.md").exists()
    assert result.model.get_layer("conv_0").__class__.__name__ == "Conv1D"


def test_init_experiment(tmp_path):
    stats, trained = _load("init_experiment").main(
        depth=6, width=32, train_epochs=1, output_dir=str(tmp_path)
    )
    small = stats["tanh, N(0, 0.01)"]
    assert small["layer 6"].std() < 1e-3 * small["layer 1"].std()  # collapses
    he = stats["relu, He"]
    assert he["layer 6"].std() > 0.2 * he["layer 1"].std()  # keeps its spread
    assert set(trained) == {"relu, Xavier", "relu, He"}
    for name in ("activation_std.png", "histograms_tanh.png", "histograms_relu.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_callbacks_in_existing_project(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    namespace = _run_script("callbacks_in_existing_project", [], monkeypatch)
    assert "dead_fraction" in namespace["history"].history


def test_tune_digits(monkeypatch, tmp_path):
    # The script has no flags yet: the real recipes.tune runs, with its
    # stages shrunk to two 1-epoch trials.
    import recipes

    real = recipes.tune

    def tiny(*args, **kwargs):
        kwargs["stages"] = [{"trials": 2, "epochs": 1}]
        return real(*args, **kwargs)

    monkeypatch.setattr(recipes, "tune", tiny)
    monkeypatch.chdir(tmp_path)
    namespace = _run_script("tune_digits", [], monkeypatch)
    assert 0.0 <= namespace["accuracy"] <= 1.0
    assert 0.0 <= namespace["refit_accuracy"] <= 1.0
    assert (tmp_path / "runs" / "tune_digits" / "lr_vs_l2.png").exists()


def test_messy_table(tmp_path):
    import pandas as pd

    status = _load("messy_table").main(str(tmp_path), epochs=2)
    assert status == (0, 0)
    messy = pd.read_csv(tmp_path / "messy.csv", sep=";")
    assert messy["mean texture"].isna().sum() == 40
    assert list(messy.columns[[0, -2, -1]]) == ["patient id", "clinic", "diagnosis"]
    preds = pd.read_csv(tmp_path / "preds.csv")
    assert list(preds.columns) == [
        "patient id",
        "predicted_diagnosis",
        "probability_benign",
        "probability_malignant",
    ]
    assert len(preds) == 20 and set(preds["predicted_diagnosis"]) <= {
        "benign",
        "malignant",
    }
