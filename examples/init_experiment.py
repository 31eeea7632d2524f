"""
Title: The lecture's initialization experiment
Author: keras-recipes
Description: Activation statistics per layer in a 30-layer network: small
random weights, Xavier and He; then He vs Xavier training a deep ReLU net.

CS231n lecture 6: with weights drawn from N(0, 0.01^2) the activations of a
deep tanh network shrink to 0 layer after layer (so do the gradients); with
Xavier init (std 1/sqrt(fan_in)) a tanh network keeps its spread, but a ReLU
network halves its variance every layer; He init (std sqrt(2/fan_in)) fixes
that for ReLU. Run with:

    python examples/init_experiment.py [--depth 30] [--output-dir runs/init]
"""

# ## Setup
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import recipes  # noqa: E402
from callbacks import Babysitter  # noqa: E402
from recipes.run import plots  # noqa: E402

CONFIGS = {
    "tanh, N(0, 0.01)": ("tanh", keras.initializers.RandomNormal(stddev=0.01)),
    "tanh, Xavier": ("tanh", keras.initializers.GlorotNormal()),
    "relu, Xavier": ("relu", keras.initializers.GlorotNormal()),
    "relu, He": ("relu", keras.initializers.HeNormal()),
}


def activations(activation, initializer, depth, width, x, seed):
    """Forward pass only: each layer's activations on the inputs `x`."""
    inputs = keras.Input((x.shape[1],))
    h, outs = inputs, []
    for i in range(depth):
        init = initializer.__class__.from_config(
            {**initializer.get_config(), "seed": seed + i}
        )
        h = keras.layers.Dense(
            width, activation=activation, kernel_initializer=init, name=f"layer_{i + 1}"
        )(h)
        outs.append(h)
    values = keras.Model(inputs, outs)(x)
    return {f"layer {i + 1}": np.asarray(v) for i, v in enumerate(values)}


def plot_std(stats, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4), dpi=110, layout="constrained")
    ax = fig.subplots()
    for name, acts in stats.items():
        ax.plot(
            range(1, len(acts) + 1),
            [a.std() for a in acts.values()],
            marker=".",
            label=name,
        )
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("std of activations (log scale)")
    ax.set_title("activation spread layer by layer (forward pass, no training)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.savefig(path)


def train(initializer, depth, epochs, data):
    """A deep ReLU MLP without BatchNorm: only the initialization differs."""
    keras.utils.set_random_seed(0)
    model = recipes.build_mlp(
        data.input_shape,
        data.num_classes,
        hidden_units=(64,) * depth,
        kernel_initializer=initializer,
        batch_norm=False,
        dropout=0.0,
        l2=0.0,
        x_train=data.x_train,
        y_train=data.y_train,
        seed=0,
    )
    sitter = Babysitter(verbose=0)
    history = model.fit(
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        epochs=epochs,
        batch_size=64,
        verbose=0,
        callbacks=[sitter],
    )
    return history.history, sitter.findings


def main(depth=30, width=256, train_epochs=5, output_dir=None):
    output_dir = output_dir or os.path.join("runs", "init_experiment")
    os.makedirs(output_dir, exist_ok=True)
    x = np.random.default_rng(0).normal(size=(1000, width)).astype("float32")

    # ## 1. Activation statistics per layer (the lecture's figure)
    stats = {
        name: activations(act, init, depth, width, x, seed=0)
        for name, (act, init) in CONFIGS.items()
    }
    print(f"std of the activations, {depth} layers of {width} units:")
    shown = sorted({1, min(2, depth), depth // 3 or 1, 2 * depth // 3 or 1, depth})
    print(f"{'':18}" + "".join(f"{f'layer {i}':>12}" for i in shown))
    for name, acts in stats.items():
        stds = [acts[f"layer {i}"].std() for i in shown]
        print(f"{name:18}" + "".join(f"{s:12.3g}" for s in stds))
    plot_std(stats, os.path.join(output_dir, "activation_std.png"))
    for act in ("tanh", "relu"):
        a, b = [n for n in CONFIGS if n.startswith(act)]
        plots.plot_activation_histograms(
            stats[a],
            stats[b],
            os.path.join(output_dir, f"histograms_{act}.png"),
            labels=(a, b),
            title=f"{act}: activations per layer, {a} vs {b}",
        )

    # ## 2. Training a deep ReLU net: He vs Xavier (no BatchNorm to rescue it)
    data = recipes.datasets.load("digits", flat=True)
    results = {}
    for name in ("relu, Xavier", "relu, He") if train_epochs else ():
        history, findings = train(CONFIGS[name][1], depth, train_epochs, data)
        results[name] = history
        checks = sorted({f.check for f in findings if f.severity != "info"})
        print(
            f"{name}: after {train_epochs} epochs loss {history['loss'][-1]:.3f}, "
            f"val accuracy {history['val_accuracy'][-1]:.3f}; "
            f"Babysitter: {', '.join(checks) or 'nothing'}"
        )
    print(f"figures in {output_dir}")
    return stats, results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--depth", type=int, default=30)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--train-epochs", type=int, default=5)
    parser.add_argument("--output-dir", default=None)
    args = parser.parse_args()
    main(args.depth, args.width, args.train_epochs, args.output_dir)
