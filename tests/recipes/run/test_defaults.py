"""The run's training defaults on tables (recipes.run._defaults)."""

import numpy as np


def test_training_defaults_give_a_table_8_steps_an_epoch():
    from recipes.run._defaults import training_defaults
    from recipes.run._steps import Splits

    def splits(rows, table, task="classification"):
        x = np.zeros((rows, 3), "float32")
        y = np.zeros(rows)
        return Splits(x, y, x, y, None, None, task, 2, [], table=table)

    table = object()  # stands for a fitted TablePreprocessor
    got = {
        n: training_defaults(splits(n, table), batch_size=None, patience=None)
        for n in (61, 120, 300, 511, 512, 5000)
    }
    assert got == {
        61: (16, 10),
        120: (16, 10),
        300: (37, 10),
        511: (63, 10),
        512: (64, 10),
        5000: (64, 10),
    }
    # arrays keep 64; the caller's values always win
    assert training_defaults(splits(120, None), batch_size=None, patience=None) == (
        64,
        10,
    )
    assert training_defaults(splits(120, table), batch_size=8, patience=3) == (8, 3)
    # regression keeps 64 (a small batch made the range test's loss noise)
    assert training_defaults(
        splits(300, table, "regression"), batch_size=None, patience=None
    ) == (64, 10)


def test_a_range_test_that_finds_nothing_falls_back_to_1e_3(monkeypatch, tmp_path):
    import recipes
    from recipes.checks import lr_finder

    real = lr_finder.find_learning_rate

    def lowest_at_the_start(*args, **kwargs):
        result = real(*args, **kwargs)
        result.suggested_learning_rate = float(result.learning_rates[0]) / 10
        return result

    monkeypatch.setattr(lr_finder, "find_learning_rate", lowest_at_the_start)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3)).astype("float32")
    result = recipes.babysit(
        x,
        x[:, 0] + 0.1 * rng.normal(size=80),
        task="regression",
        epochs=1,
        preflight=False,
        verbose=0,
        output_dir=str(tmp_path / "run"),
        seed=0,
    )
    assert result.learning_rate == 1e-3
    fallback = [f for f in result.findings if f.check == "lr_range_test_fallback"]
    assert len(fallback) == 1 and fallback[0].severity == "warning"
