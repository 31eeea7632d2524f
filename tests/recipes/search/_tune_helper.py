"""Runs a small `recipes.tune` on iris in its own process (kill/resume and
distributed tests). Distributed roles come from the KERASTUNER_* variables.

Usage: python _tune_helper.py DIRECTORY STAGES_JSON SLEEP_PER_EPOCH OUT_JSON
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import json  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402


class Slow(keras.callbacks.Callback):
    """Makes each epoch last at least `seconds`, so a trial can be killed."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_epoch_end(self, epoch, logs=None):
        time.sleep(self.seconds)


def main():
    directory, stages, sleep, out = sys.argv[1:5]
    from recipes import datasets
    from recipes.search.tuning import tune

    data = datasets.load("iris")
    result = tune(
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        cv=None,
        search_space={"units": (8, 32), "depth": 1},
        stages=json.loads(stages),
        directory=directory,
        seed=0,
        babysit=False,
        callbacks=[Slow(float(sleep))],
    )
    rows = result.table()
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    with open(out, "w") as f:
        json.dump({"role": result.role, "rows": rows}, f, default=str)


if __name__ == "__main__":
    main()
