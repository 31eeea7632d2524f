"""The recipe as data: each choice, why, and where it comes from."""

from __future__ import annotations

_RECIPE = (
    (
        "activation",
        "ReLU (LeakyReLU / ELU as variants); never sigmoid in hidden layers",
        "No flat region for positive inputs, so gradients do not vanish; "
        "sigmoid/tanh saturate, and sigmoid's all-positive outputs make updates "
        "zig-zag.",
        "CS231n lecture 6; Nair & Hinton 2010",
        "activation='relu'",
    ),
    (
        "preprocessing",
        "Subtract the mean (and scale), fitted on the training split only",
        "Zero-centred inputs avoid same-sign gradients; one scale for every "
        "feature keeps the loss surface round. Statistics from training data "
        "only, so nothing leaks from validation or test.",
        "cs231n.github.io/neural-networks-2/",
        "preprocessing='standardize' (MLP), 'per_channel' (CNN)",
    ),
    (
        "weight initialization",
        "He for ReLU, Xavier/Glorot for tanh, LeCun for SELU",
        "Keeps the variance of activations ~constant layer to layer: small "
        "weights make deep activations collapse to 0, large ones saturate or "
        "explode.",
        "He et al. 2015, 'Delving Deep into Rectifiers'; Glorot & Bengio 2010",
        "kernel_initializer='auto'",
    ),
    (
        "batch normalization",
        "Dense/Conv -> BatchNormalization -> activation",
        "Normalizes each layer's inputs per mini-batch, making training far "
        "less sensitive to initialization and learning rate.",
        "Ioffe & Szegedy 2015",
        "batch_norm=True",
    ),
    (
        "output layer",
        "Start at the loss of predicting the class priors",
        "A tiny output kernel and a bias of log(prior) give an initial loss of "
        "ln C for C balanced classes, so the first steps are not spent undoing "
        "a bad guess (and the initial-loss sanity check can be read).",
        "CS231n lecture 6; Karpathy, 'A Recipe for Training Neural Networks'",
        "y_train=... (sets the bias)",
    ),
    (
        "babysitting",
        "Check the initial loss, overfit a tiny subset, watch loss, train/val "
        "gap and update/weight ratios (~1e-3)",
        "Catches a dead, saturated, diverging or stalled run early, and says "
        "whether to regularize or add capacity.",
        "CS231n lecture 6",
        "callbacks.Babysitter()",
    ),
    (
        "hyperparameter search",
        "Random search on a log scale, coarse to fine; learning rate and "
        "regularization first",
        "With a budget of N trials random search tries N values of the "
        "hyperparameter that matters, grid search only N^(1/d).",
        "Bergstra & Bengio 2012",
        "recipes.tune()",
    ),
)


def recommendations():
    """Returns the recipe as data, one dict per recommendation.

    Each dict has `topic`, `choice`, `reason`, `source` and `in_keras_recipes`
    (where the toolkit applies it). The docs' recipe page shows this list.

    Returns:
        A list of dicts, in the lecture's order.

    Example:

    >>> from recipes import recommendations
    >>> [r["topic"] for r in recommendations()][:2]
    ['activation', 'preprocessing']
    """
    keys = ("topic", "choice", "reason", "source", "in_keras_recipes")
    return [dict(zip(keys, row)) for row in _RECIPE]


def recommendations_markdown():
    """Returns the recommendations as a markdown table."""
    lines = [
        "| topic | choice | why | source | in keras-recipes |",
        "|---|---|---|---|---|",
    ]
    for r in recommendations():
        lines.append(
            f"| {r['topic']} | {r['choice']} | {r['reason']} | {r['source']} | "
            f"`{r['in_keras_recipes']}` |"
        )
    return "\n".join(lines)
