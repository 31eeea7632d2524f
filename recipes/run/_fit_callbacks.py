"""The two small callbacks of `recipes.babysit` (private)."""

from __future__ import annotations

import csv
import time

import keras


class Progress(keras.callbacks.Callback):
    """Prints one line every `every` epochs (and the last), for long runs."""

    def __init__(self, epochs, every):
        super().__init__()
        self.epochs = epochs
        self.every = max(1, every)
        self.start = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if (epoch + 1) % self.every and epoch + 1 != self.epochs:
            return
        keys = ("loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae")
        parts = [f"{k} {float(logs[k]):.4f}" for k in keys if k in logs]
        elapsed = time.perf_counter() - self.start
        print(
            f"  epoch {epoch + 1}/{self.epochs}  "
            + "  ".join(parts)
            + f"  ({elapsed:.0f}s)",
            flush=True,
        )


class EpochLog(keras.callbacks.Callback):
    """Every epoch's logs, aligned: a key missing in an epoch becomes NaN.

    `History` appends a key's value only in the epochs that log it, so keys
    written every few epochs would be misaligned with the epochs; and
    `CSVLogger` fixes its columns at the first epoch. Put it last.
    """

    def on_train_begin(self, logs=None):
        self.rows = []

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1}  # from 1, as on Keras' progress bar
        for key, value in (logs or {}).items():
            try:
                row[key] = float(value)
            except (TypeError, ValueError):
                continue
        self.rows.append(row)

    def history(self):
        keys = list(dict.fromkeys(k for row in self.rows for k in row if k != "epoch"))
        return {k: [row.get(k, float("nan")) for row in self.rows] for k in keys}

    def write_csv(self, path):
        keys = list(dict.fromkeys(k for row in self.rows for k in row))
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys, restval="")
            writer.writeheader()
            writer.writerows(self.rows)
