import numpy as np

from recipes.run import _steps
from recipes.run.baselines import baseline_findings, baselines


def _splits(task):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3)).astype("float32")
    y = (x[:, 0] > 0.3).astype("int64") if task == "classification" else 5 * x[:, 0]
    return _steps.prepare_data(
        x,
        y,
        x_test=None,
        y_test=None,
        validation_data=None,
        validation_split=0.15,
        test_split=0.2,
        task=task,
        class_names=None,
        seed=0,
    )


def test_classification_baselines_on_the_same_split():
    found = baselines(_splits("classification"))
    assert found["trivial"]["name"] == "majority class (0)"
    assert 0.5 < found["trivial"]["accuracy"] < 0.8
    assert found["linear"]["name"] == "LogisticRegression"
    assert found["linear"]["accuracy"] > 0.9


def test_findings_when_the_network_is_no_better():
    found = baselines(_splits("regression"))
    assert abs(found["trivial"]["r2"]) < 0.1 and found["linear"]["r2"] > 0.99
    bad = baseline_findings({"r2": 0.002}, found)
    assert [f.check for f in bad] == ["no_better_than_baseline", "linear_model_better"]
    assert bad[0].severity == "warning" and bad[1].severity == "info"
    assert baseline_findings({"r2": 1.0}, found) == []
