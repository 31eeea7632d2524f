"""The run's training defaults on tables (recipes.run._defaults)."""

import numpy as np


def test_training_defaults_give_a_table_8_steps_an_epoch():
    from recipes.run._defaults import training_defaults
    from recipes.run._steps import Splits

    def splits(rows, table):
        x = np.zeros((rows, 3), "float32")
        y = np.zeros(rows)
        return Splits(x, y, x, y, None, None, "regression", 1, [], table=table)

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
