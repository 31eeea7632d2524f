"""
Title: MNIST-1D with build_cnn, babysat end to end
Author: keras-recipes
Description: A 1D convolutional network on MNIST-1D, put through the whole
recipe by `recipes.babysit`: pre-flight checks, learning-rate range test,
babysat training, one test evaluation and a run folder with a report.

MNIST-1D (Greydanus 2020) is generated locally: 4,000 training and 1,000
test signals of length 40, 10 classes; small enough for a laptop CPU, hard
enough that a CNN clearly beats an MLP. Run with:

    python examples/mnist1d_cnn.py [--epochs 40] [--output-dir runs/mnist1d]
"""

# ## Setup
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import recipes  # noqa: E402


def main(epochs=40, samples=None, filters=(32, 64, 128), output_dir=None):
    keras.utils.set_random_seed(0)

    # ## Data: (40, 1) signals, fixed stratified splits, no download
    data = recipes.datasets.load("mnist1d")
    x, y = data.x_train, data.y_train
    if samples:  # a quick look (and the tests): the first `samples` examples
        x, y = x[:samples], y[:samples]
    print(
        f"mnist1d: {len(x)} train, {len(data.x_val)} validation, "
        f"{len(data.x_test)} test, input {data.input_shape}"
    )

    # ## The model: build_cnn picks Conv1D for (length, channels) inputs.
    # Per-channel standardization fitted on the training split lives inside
    # the model; He init for ReLU; conv -> BatchNorm -> ReLU blocks; an output
    # that starts at the class priors' loss.
    model = recipes.build_cnn(
        data.input_shape,
        data.num_classes,
        filters=filters,
        x_train=x,
        y_train=y,
        seed=0,
    )

    # ## The whole recipe on that model. No learning rate is given, so the
    # range test picks one; the Babysitter watches every epoch; the test
    # split is evaluated once, at the end.
    result = recipes.babysit(
        x,
        y,
        x_test=data.x_test,
        y_test=data.y_test,
        validation_data=data.validation_data,
        class_names=data.class_names,
        model=model,
        epochs=epochs,
        patience=8,
        output_dir=output_dir,
        seed=0,
        title="MNIST-1D with build_cnn",
    )

    # ## What happened
    print()
    print(result.summary())
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument(
        "--samples",
        type=int,
        default=None,
        help="use only the first N training examples",
    )
    parser.add_argument(
        "--output-dir", default=None, help="run folder; default runs/<timestamp>"
    )
    args = parser.parse_args()
    main(args.epochs, args.samples, output_dir=args.output_dir)
