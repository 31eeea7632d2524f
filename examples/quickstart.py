"""
Title: Quickstart: the recipe on digits
Description: Build a model that starts well, train it, evaluate it once on test.

Run: python examples/quickstart.py [--epochs N]
"""

# ## Setup
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import recipes  # noqa: E402


def main(epochs=150):
    # ## Data: fixed, stratified train/validation/test splits, no download
    data = recipes.datasets.load("digits")
    print(
        f"digits: {len(data.x_train)} train, {len(data.x_val)} validation, "
        f"{len(data.x_test)} test, input {data.input_shape}"
    )

    # ## The model: standardization fitted on the training split and saved inside
    # the model, He init for ReLU, Dense -> BatchNorm -> ReLU, an output layer
    # that starts at the class priors' loss.
    model = recipes.build_mlp(
        data.input_shape,
        data.num_classes,
        x_train=data.x_train,
        y_train=data.y_train,
        seed=0,
    )
    probs = model.predict(data.x_train, verbose=0)
    loss0 = float(
        np.mean(keras.losses.sparse_categorical_crossentropy(data.y_train, probs))
    )
    print(f"initial loss {loss0:.4f} (ln 10 = {np.log(10):.4f})")

    # ## Training with early stopping on the validation split
    history = model.fit(
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        epochs=epochs,
        batch_size=64,
        verbose=0,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=20, restore_best_weights=True
            )
        ],
    )
    print(
        f"trained {len(history.history['loss'])} epochs, best validation "
        f"accuracy {max(history.history['val_accuracy']):.4f}"
    )

    # ## Evaluation: the test split, once
    test_loss, test_acc = model.evaluate(data.x_test, data.y_test, verbose=0)
    print(f"test accuracy {test_acc:.4f}, test loss {test_loss:.4f}")
    return test_acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The recipe on digits.")
    parser.add_argument("--epochs", type=int, default=150)
    main(parser.parse_args().epochs)
