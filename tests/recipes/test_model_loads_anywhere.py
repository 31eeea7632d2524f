"""Every `model.keras` the project writes loads where it is served.

A serving process has Keras, not always `recipes`: each writer's file
(`babysit` on arrays, for regression, after a search and averaging a
table's networks; `repair`) is loaded with `keras.saving.load_model` in
safe mode in a fresh process that imports only keras and numpy, and
predicts what the training process predicted. A model holding registered
layers (the table's encoder, the PCA layer) loads once `import recipes`
has run, before or after `import keras`; without it, the error says so.
One set of tiny runs (one epoch each) is shared by the tests.
"""

import functools
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import recipes
from recipes.run import _door
from recipes.run.babysit import DataArgs, babysit_checked

FAST = dict(epochs=1, preflight=False, learning_rate=1e-2, seed=0, verbose=0)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _digits():
    data = recipes.datasets.load("digits")
    return data.x_train[:240], data.y_train[:240], data.x_test[:40]


def _tuned(x, y, folder):
    """`babysit` with a search of one trial (the command line's door)."""
    options = _door.run_options(
        x,
        table=None,
        task="auto",
        search_args={"stages": [{"trials": 1, "epochs": 1}], "cv": None},
        model=None,
        tune=True,
        callbacks=None,
        babysitter=None,
        batch_size=None,
        patience=None,
        ensemble=None,
        strict=False,
        **FAST,
    )
    return babysit_checked(DataArgs(x, y), options, output_dir=folder)


def _table(rng, n=120):
    frame = pd.DataFrame(
        {"size": rng.normal(size=n), "city": rng.choice(["a", "b", "c"], size=n)}
    )
    frame.loc[::7, "size"] = np.nan
    y = ((frame["size"].fillna(0) > 0) ^ (frame["city"] == "a")).astype(int)
    return frame, y.to_numpy()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """`{name: (model.keras path, inputs, the writer's predictions)}` of
    Keras-only files, and of files with registered layers."""
    import keras

    folder = tmp_path_factory.mktemp("writers")
    rng = np.random.default_rng(0)
    x, y, x_new = _digits()
    xr = rng.normal(size=(200, 6)).astype("float32")
    yr = (150 + 60 * xr[:, 0] - 30 * xr[:, 1]).astype("float32")

    plain, results = {}, {}
    results["babysit"] = recipes.babysit(x, y, output_dir=folder / "digits", **FAST)
    results["regression"] = recipes.babysit(
        xr[:160], yr[:160], output_dir=folder / "regression", **FAST
    )
    results["tuned"] = _tuned(x, y, folder / "tuned")
    for name, result in results.items():
        inputs = xr[160:] if name == "regression" else x_new
        plain[name] = (
            os.path.join(result.run_dir, "model.keras"),
            inputs,
            keras.ops.convert_to_numpy(result.model(inputs, training=False)),
        )
    network = recipes.build_mlp(
        (6,), None, task="regression", x_train=xr, y_train=yr, hidden_units=(8,)
    )
    repaired = recipes.repair(
        network,
        xr,
        yr,
        epochs=1,
        max_retrains=0,
        seed=0,
        verbose=0,
        output_dir=folder / "repair",
    )
    plain["repair"] = (
        os.path.join(repaired.run_dir, "model.keras"),
        xr[:20],
        keras.ops.convert_to_numpy(repaired.model(xr[:20], training=False)),
    )

    registered = {}
    pca = functools.partial(recipes.build_mlp, preprocessing="whiten")
    result = recipes.babysit(x, y, model=pca, output_dir=folder / "pca", **FAST)
    registered["pca"] = (
        os.path.join(result.run_dir, "model.keras"),
        x_new,
        keras.ops.convert_to_numpy(result.model(x_new, training=False)),
    )
    frame, labels = _table(rng)
    result = recipes.babysit(frame, labels, output_dir=folder / "table", **FAST)
    path = os.path.join(result.run_dir, "model.keras")
    loaded = recipes.load_model(path)
    columns = {k: v for k, v in _columns(frame[:30], loaded.schema).items()}
    registered["table"] = (path, columns, np.asarray(loaded(columns)))
    return {"plain": plain, "registered": registered, "results": results}


def _columns(frame, schema):
    """The raw columns a table model takes, `{input key: (n, 1) array}`."""
    out = {}
    for col, key in schema["input_keys"].items():
        values = frame[col].to_numpy()
        if col in schema["numeric"]:
            out[key] = values.astype("float32").reshape(-1, 1)
        else:
            out[key] = values.astype(str).astype(object).reshape(-1, 1)
    return out


# Loads each file, predicts, saves the predictions: `{name: path}` and the
# inputs come in `jobs.npz` / `jobs.json`; errors come back as text.
CHILD = """
import json, sys
{imports}
import keras, numpy as np

jobs = json.load(open(sys.argv[1]))
inputs = np.load(sys.argv[2], allow_pickle=True)
out, errors = {{}}, {{}}
for name, path in jobs.items():
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as e:
        errors[name] = f"{{type(e).__name__}}: {{e}}"
        continue
    if name + "/x" in inputs.files:
        x = inputs[name + "/x"]
    else:  # a table: one input per column
        keys = [k.split("/", 2)[2] for k in inputs.files if k.startswith(name + "/c/")]
        x = {{k: inputs[f"{{name}}/c/{{k}}"] for k in keys}}
    out[name] = np.asarray(model(x, training=False))
np.savez(sys.argv[3], **out)
report = {{"errors": errors, "recipes": "recipes" in sys.modules}}
json.dump(report, open(sys.argv[4], "w"))
"""


def _load_elsewhere(runs, tmp_path, imports=""):
    """Loads every file of `runs` in a fresh process that runs `imports`
    and then imports keras and numpy only; returns (predictions, report)."""
    jobs, arrays = {}, {}
    for name, (path, x, _) in runs.items():
        jobs[name] = path
        if isinstance(x, dict):
            arrays.update({f"{name}/c/{k}": v for k, v in x.items()})
        else:
            arrays[f"{name}/x"] = x
    files = [tmp_path / n for n in ("jobs.json", "x.npz", "out.npz", "report.json")]
    files[0].write_text(json.dumps(jobs))
    np.savez(files[1], **arrays)
    code = textwrap.dedent(CHILD.format(imports=imports))
    env = {**os.environ, "PYTHONPATH": ROOT}
    subprocess.run(
        [sys.executable, "-c", code, *map(str, files)],
        check=True,
        cwd=tmp_path,
        env=env,
        capture_output=True,
    )
    with np.load(files[2]) as out:
        predictions = {k: out[k] for k in out.files}
    return predictions, json.loads(files[3].read_text())


def test_every_file_written_loads_with_keras_alone(runs, tmp_path):
    predictions, report = _load_elsewhere(
        {**runs["plain"], **runs["registered"]}, tmp_path
    )
    assert report["recipes"] is False
    assert sorted(predictions) == ["babysit", "regression", "repair", "tuned"]
    for name, (_, _, expected) in runs["plain"].items():
        np.testing.assert_allclose(predictions[name], expected, atol=1e-6, err_msg=name)
    # the registered layers' files fail, and the error says what loads them
    assert sorted(report["errors"]) == ["pca", "table"]
    for error in report["errors"].values():
        assert "'load_with': 'import recipes'" in error, error


def test_import_recipes_is_enough_for_the_registered_layers(runs, tmp_path):
    # before keras: the classes register once keras is imported
    predictions, report = _load_elsewhere(
        runs["registered"], tmp_path, "import recipes"
    )
    assert report["errors"] == {}
    for name, (_, _, expected) in runs["registered"].items():
        np.testing.assert_allclose(predictions[name], expected, atol=1e-6, err_msg=name)


def test_import_recipes_after_keras_registers_at_once():
    code = (
        "import keras, recipes; "
        "print([keras.saving.get_registered_object(f'recipes>{n}') is not None "
        "for n in ('PCAProjection', 'ImputeMissing', 'TableSchema', 'DataLoss')])"
    )
    # JAX where it is installed (a second backend); the suite's own otherwise
    backend = "jax" if importlib.util.find_spec("jax") else None
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    env = {**os.environ, "PYTHONPATH": ROOT, "KERAS_BACKEND": backend}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.stdout.strip() == "[True, True, True, True]", out.stderr[-2000:]


def test_the_saved_compile_names_keras_built_ins_only(runs):
    import zipfile

    for name, (path, _, _) in runs["plain"].items():
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
        assert "recipes" not in json.dumps(config), name
        assert config["compile_config"]["loss"] is not None, name


def test_the_loss_saved_for_a_regression_is_the_loss_trained(runs):
    import keras

    result = runs["results"]["regression"]
    path, x, _ = runs["plain"]["regression"]
    y = (150 + 60 * x[:, 0] - 30 * x[:, 1]).astype("float32")
    loaded = keras.saving.load_model(path)
    assert loaded.loss == "mean_squared_error"
    trained = result.model.evaluate(x, y, verbose=0, return_dict=True)
    again = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert again["loss"] == pytest.approx(trained["loss"], rel=1e-5)
    assert "data_loss" in trained and "data_loss" not in again
    # the optimizer's state is saved with it
    assert int(loaded.optimizer.iterations) == int(result.model.optimizer.iterations)


def test_a_search_in_the_run_folder_points_at_the_final_folder(runs):
    result = runs["results"]["tuned"]
    search = result.search
    assert search.directory == os.path.join(result.run_dir, "search")
    assert os.path.isdir(os.path.join(search.directory, "stage_0"))
    parent = os.path.dirname(result.run_dir)
    model = search.best_model(refit=False)  # its trial's weights, from there
    assert model.output_shape == (None, 10)
    assert [p for p in os.listdir(parent) if ".partial" in p] == []
