import json

import keras
import numpy as np

import recipes
from recipes.cli import main


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = 150 + 60 * x[:, 0] - 30 * x[:, 1] ** 2 + rng.normal(size=n)
    return x, y


def test_build_mlp_regression_answers_in_the_targets_units(tmp_path):
    x, y = _data()
    model = recipes.build_mlp(
        (4,), None, task="regression", x_train=x, y_train=y, seed=0
    )
    pred = model.predict(x, verbose=0).ravel()
    assert np.abs(pred - y.mean()).max() < 0.5 * y.std()  # starts at the mean
    loss = model.loss(y.reshape(-1, 1), pred.reshape(-1, 1))
    assert 0.95 < float(loss) < 1.2  # MSE over the training variance
    model.fit(x, y, epochs=3, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = keras.saving.load_model(path)  # safe mode
    np.testing.assert_allclose(
        again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5
    )
    assert again.get_layer("target_scale").invert


def test_tune_regression_uses_kfold_and_val_loss(tmp_path):
    x, y = _data()
    result = recipes.tune(
        x,
        y,
        cv=2,
        seed=0,
        stages=[{"trials": 2, "epochs": 2}],
        search_space={"units": 16, "depth": 1},
        directory=str(tmp_path),
        overwrite=True,
    )
    assert result.objective.name == "val_loss"
    assert result.objective.direction == "min"
    assert len(result.table()) == 2


def _csv(tmp_path):
    x, y = _data()
    path = tmp_path / "reg.csv"
    rows = [",".join(f"{v:.4f}" for v in (*r, t)) for r, t in zip(x, y)]
    path.write_text("a,b,c,d,score\n" + "\n".join(rows) + "\n")
    return str(path)


FAST = ["--epochs", "2", "--learning-rate", "0.01", "--no-preflight", "--quiet"]


def test_cli_fit_and_tune_with_task_regression(tmp_path, capsys):
    data = _csv(tmp_path)
    out = tmp_path / "fit"
    argv = ["fit", data, "--target", "score", "--task", "regression"]
    assert main(argv + ["--output-dir", str(out), *FAST]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["task"] == "regression" and "r2" in metrics["test"]
    report = (out / "report.md").read_text().split("## The recipe")[0]
    assert "mean of the target" in report and "class priors" not in report
    assert "predicted_vs_actual.png" in report
    assert "data_loss" in (out / "history.csv").read_text().splitlines()[0]
    assert metrics["test"]["penalty"] > 0
    assert (out / "predicted_vs_actual.png").stat().st_size > 0
    assert metrics["baselines"]["trivial"]["name"] == "mean of the training target"
    assert metrics["baselines"]["linear"]["name"] == "RidgeCV"
    tuned = tmp_path / "tune"
    argv = ["tune", data, "--target", "score", "--task", "regression"]
    argv += ["--max-trials", "1", "--trial-epochs", "1"]
    assert main(argv + ["--output-dir", str(tuned), *FAST]) == 0, capsys.readouterr()
    assert (tuned / "search_trials.csv").exists()


def test_metrics_and_history_show_the_data_loss_without_the_penalty(tmp_path):
    x, y = _data()
    from recipes.models.data_loss import with_data_loss

    model = recipes.build_mlp(
        (4,), None, task="regression", x_train=x, y_train=y, l2=1e-2, seed=0
    )
    assert len(model.evaluate(x, y, verbose=0)) == 2  # loss, mae: unchanged
    model = with_data_loss(model)
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y)).history
    assert "data_loss" in history and "val_data_loss" in history
    assert history["data_loss"][-1] < history["loss"][-1]
    m = recipes.evaluate(model, x, y, task="regression")
    total = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert m["penalty"] > 0 and abs(m["loss"] + m["penalty"] - total) < 1e-4
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = keras.saving.load_model(path)
    logs = again.evaluate(x, y, verbose=0, return_dict=True)
    assert abs(logs["data_loss"] - m["loss"]) < 1e-4
