"""
Title: Babysitting callbacks in an existing Keras project
Author: keras-recipes
Description: Add `callbacks.Babysitter` to an ordinary Keras 3 training script
and read what it finds.

The `callbacks` package needs nothing from `recipes`: any Sequential or
Functional Keras 3 model can use it. Run with:

    python examples/callbacks_in_existing_project.py
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tempfile  # noqa: E402

import keras  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from callbacks import Babysitter, DeadUnitMonitor  # noqa: E402

"""
## An ordinary project: digits, a plain MLP, Adam

Nothing here knows about the babysitter. The learning rate is deliberately
far too high (0.03), a classic way to kill ReLU units.
"""

keras.utils.set_random_seed(0)
x, y = load_digits(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split(
    x.astype("float32") / 16.0, y, test_size=0.2, random_state=0, stratify=y
)


def make_model(learning_rate):
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.Adam(learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


"""
## Add the babysitter

Put `Babysitter` BEFORE `CSVLogger`, `TensorBoard` or `EarlyStopping` in the
list: it writes its per-epoch figures (`dead_fraction`,
`dead_fraction/<layer>`, `update_ratio/<layer>`, ...) into the epoch `logs`,
and only callbacks after it see them. `History` always sees them.
"""

csv_path = os.path.join(tempfile.mkdtemp(), "training.csv")
sitter = Babysitter(stop_on="error", verbose=1)
history = make_model(0.03).fit(
    x_train,
    y_train,
    validation_data=(x_val, y_val),
    epochs=5,
    batch_size=32,
    verbose=0,
    callbacks=[sitter, keras.callbacks.CSVLogger(csv_path)],
)

"""
## Read the findings

Each `Finding` says what is wrong, where (epoch, layer), the measured value and
a fix. `stop_on="error"` stopped the run at the first error.
"""

print(f"\nTrained {len(history.history['loss'])} of 5 epochs.")
for finding in sitter.findings:
    print(" -", finding)
print("dead_fraction per epoch:", history.history["dead_fraction"])
with open(csv_path) as f:
    print("CSVLogger columns:", f.readline().strip().split(",")[:6], "...")

"""
## Apply the fix and use one monitor alone

Following the suggestion (lower the learning rate), the same project trains
cleanly. Each monitor also works alone, with the same `findings` attribute.
"""

monitor = DeadUnitMonitor(verbose=1)
history = make_model(1e-3).fit(
    x_train,
    y_train,
    validation_data=(x_val, y_val),
    epochs=5,
    batch_size=32,
    verbose=0,
    callbacks=[monitor],
)
print(
    f"\nWith lr=1e-3: {len(monitor.findings)} finding(s), "
    f"val accuracy {history.history['val_accuracy'][-1]:.3f}, "
    f"dead_fraction {history.history['dead_fraction'][-1]:.3f}"
)
