"""Pre-flight checks that train nothing: the data, the labels against the
head and loss, and the loss at initialization. Each takes the shared context
and returns a list of Findings.
"""

from __future__ import annotations

import keras
import numpy as np

from callbacks import Finding
from callbacks.heads import head_findings, is_multi_hot


def _flat(x):
    return np.asarray(x).reshape(len(x), -1)


def data_nan(ctx):
    out = []
    for name, arr in ctx.arrays:
        a = np.asarray(arr, dtype="float64")
        bad = int((~np.isfinite(a)).sum())
        if bad:
            out.append(
                Finding(
                    "data_nan",
                    "error",
                    value=bad,
                    threshold=0,
                    message=f"`{name}` contains {bad} NaN or infinite values "
                    f"({bad / a.size:.2%}); one of them makes the loss NaN.",
                    suggestion="Impute them (e.g. sklearn.impute.SimpleImputer, "
                    "fitted on the training split) or drop those rows.",
                )
            )
    return out


def constant_features(ctx):
    x = _flat(ctx.x).astype("float64")
    const = x.std(0) == 0
    names = getattr(ctx, "feature_names", None)
    if names is not None and len(names) == x.shape[1]:
        # a table's out-of-vocabulary slots are empty in training by design
        const &= ~np.array([str(n).endswith("=[unseen]") for n in names])
    n = int(const.sum())
    if not n:
        return []
    varies, moving = 0, np.zeros(x.shape[1], bool)
    if ctx.x_val is not None:
        xv = _flat(ctx.x_val).astype("float64")
        moving[const] = np.nanmax(np.abs(xv[:, const] - x[0, const]), 0) > 0
        varies = int(moving.sum())
    frac = n / x.shape[1]
    # A fact about the data (image borders), not a bug, unless nothing varies
    # or a Normalization layer would divide a feature that varies only in
    # validation by ~0 (Keras' epsilon 1e-7: a pixel of 1 becomes 1e7).
    divided = moving & _unit_variance_floor(ctx.model, x.shape[1])
    sev = "error" if n == x.shape[1] else "warning" if divided.any() else "info"
    msg = f"{n} of {x.shape[1]} input features never change in training"
    if names is not None and len(names) == x.shape[1]:
        shown = [names[i] for i in np.flatnonzero(const)]
        msg += f" ({', '.join(repr(c) for c in shown[:10])})"
    if varies:
        msg += f"; {varies} of them do vary in the validation data"
    return [
        Finding(
            "constant_features",
            sev,
            value=frac,
            threshold=0.0,
            message=msg
            + ". They carry no information to learn from"
            + (" (image borders are often like this)." if names is None else "."),
            suggestion="Drop them, or make sure the normalization does not divide "
            "them by a ~0 standard deviation (recipes.preprocessing_layer gives "
            "them scale 1).",
        )
    ]


def _unit_variance_floor(model, width):
    """Per input feature: True where a Normalization layer of `model` holds a
    variance of ~0 (it would divide by ~0)."""
    out = np.zeros(width, bool)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization):
            var = np.asarray(keras.ops.convert_to_numpy(layer.variance)).reshape(-1)
            if var.size == width:
                out |= var < 1e-12
    return out


def _preprocessed(model, x):
    """What the first weighted layer sees: `x` through the leading layers."""
    layers = [la for la in model.layers if not isinstance(la, keras.layers.InputLayer)]
    first = next((la for la in layers if la.trainable_weights), None)
    if first is None:
        return None, None
    if isinstance(
        first, (keras.layers.BatchNormalization, keras.layers.LayerNormalization)
    ):
        return None, first
    try:
        head = keras.Model(model.inputs[0], first.input)
        return keras.ops.convert_to_numpy(head(x, training=False)), first
    except Exception:  # not a plain chain: fall back to calling layers in order
        for la in layers[: layers.index(first)]:
            x = la(x, training=False)
        return keras.ops.convert_to_numpy(x), first


def _reads_ids(layer):
    """Whether `layer` looks ids up in a table (an `Embedding`, or a layer
    built on one): the scale of token ids means nothing."""
    return any(w.name == "embeddings" for w in layer.weights)


def unnormalized_input(ctx):
    """Inputs far from zero mean and unit scale where the first layer sees them.

    The figure that matters is the inputs' root mean square: with weights
    initialized to keep variance (He, Glorot), a Dense or convolution sums
    `w_i * x_i`, so its pre-activations' spread grows with `sqrt(mean(x**2))`
    over the features, means included. One feature in the thousands among many
    standardized ones dominates it even when the average mean and std (and
    their percentiles) look tame.
    """
    seen, first = _preprocessed(ctx.model, ctx.x_sample)
    if seen is None or _reads_ids(first):
        return []
    z = _flat(seen).astype("float64")
    z = z[np.isfinite(z).all(1)]
    if not len(z):
        return []
    mean, std = z.mean(0), z.std(0)
    energy = (z**2).mean(0)  # per feature: mean**2 + std**2
    off = float(np.abs(mean).mean())
    scale = float(np.sqrt(np.mean(std**2)))
    rms = float(np.sqrt(energy.mean()))
    live = std[std > 1e-6 * max(scale, 1e-12)]
    spread = float(np.percentile(live, 95) / np.percentile(live, 5)) if live.size else 1
    problems = []
    if off > 4:
        problems.append(f"the average feature mean is {off:.3g} (not ~0)")
    if scale > 4 or scale < 0.05:
        problems.append(f"the typical feature std is {scale:.3g} (not ~1)")
    if spread > 100:
        problems.append(f"feature scales differ {spread:.0f}x (5th-95th percentile)")
    if rms > 4:
        problems.append(f"their root mean square is {rms:.3g} (not ~1)")
    top = int(energy.argmax())
    if rms > 4 and energy.size > 1 and energy[top] > 0.5 * energy.sum():
        problems.append(
            f"feature {top} alone (mean {mean[top]:.3g}, std {std[top]:.3g}) "
            f"makes {energy[top] / energy.sum():.0%} of it"
        )
    if not problems:
        return []
    # Count features and the like (raw digits 0..16: RMS 7.8) train fine
    # with Adam: a fact, not a bug, unless the scale breaks the first layer
    # (pre-activations 20x what its initializer aims at: raw 0..255 pixels,
    # RMS 124; one feature in the hundreds among a hundred standardized
    # ones, RMS 30) or training fails (callbacks.diagnose then names this as
    # the likely cause).
    extreme = rms > 20 or scale < 1e-3 or spread > 1e4
    return [
        Finding(
            "unnormalized_input",
            "warning" if extreme else "info",
            layer=first.name,
            value=max(off, scale, rms, spread if spread > 100 else 0),
            threshold=4.0,
            message=f"The inputs `{first.name}` sees are far from zero mean and "
            "unit scale: " + "; ".join(problems) + ". Initializers and learning "
            "rates assume standardized inputs.",
            suggestion="Put a fitted preprocessing layer first, e.g. "
            "recipes.preprocessing_layer('standardize', x_train) or "
            "keras.layers.Normalization adapted on the training split.",
        )
    ]


def label_range(ctx):
    y, kind, units = ctx.y.astype("float64"), ctx.kind, ctx.units
    problem, sev, value, limit = None, "error", None, None
    if kind == "sparse":
        if not np.array_equal(y, np.round(y)):
            problem = "class ids must be integers"
        elif y.min() < 0 or y.max() >= units:
            problem = (
                f"class ids run from {y.min():.0f} to {y.max():.0f}, but the "
                f"{units} outputs stand for ids 0..{units - 1}"
            )
            if y.min() == 1 and y.max() == units:
                problem += " (ids start at 1: subtract 1)"
        fix = "Encode labels as 0..C-1 (sklearn.preprocessing.LabelEncoder)."
        if problem is None and len(np.unique(y)) < units:
            sev = "warning"
            problem = f"only {len(np.unique(y))} of {units} classes occur in training"
            # the usual cause: data sorted by label, split by position
            fix = (
                "Shuffle the rows before splitting: validation_split takes the "
                "last rows, so data sorted by label leaves some classes out of "
                "training (sklearn's train_test_split(stratify=y) keeps them all)."
            )
    elif kind == "one_hot":
        if is_multi_hot(y):
            return []  # multi-hot targets: output_activation says what to use
        if y.min() < 0 or y.max() > 1 or not np.allclose(y.sum(1), 1, atol=1e-3):
            problem = "rows must be one-hot (or probabilities summing to 1)"
        fix = "Use keras.utils.to_categorical(ids, num_classes)."
    elif kind == "binary":
        if y.min() < 0 or y.max() > 1:
            problem = f"labels run from {y.min():.3g} to {y.max():.3g}, not 0/1"
        fix = "Map the two classes to 0 and 1."
    elif kind == "regression":
        # the loss and its gradients scale with the targets: RMS 10 is a
        # fact worth knowing (a latent cause if the run diverges), 100 a bug
        scale = float(np.sqrt(np.mean(y**2)))
        if scale > 10:
            sev = "warning" if scale > 100 else "info"
            problem = f"targets have RMS {scale:.3g}, not ~1"
            value, limit = scale, 10.0
        fix = "Standardize the targets (and undo it on the predictions)."
    if problem is None:
        return []
    return [
        Finding(
            "label_range",
            sev,
            value=value,
            threshold=limit,
            message=f"The labels do not fit the loss {ctx.loss_name!r}: {problem}.",
            suggestion=fix,
        )
    ]


def output_activation(ctx):
    """The head against the loss and labels: `callbacks`' own check."""
    return head_findings(ctx.model, ctx.y, loss_name=ctx.loss_name)


def initial_loss(ctx):
    data, reg = ctx.loss_at_init
    total, prior = data + reg, ctx.prior
    if not np.isfinite(total):
        return [
            Finding(
                "initial_loss",
                "error",
                value=total,
                message="The loss at initialization is not finite "
                f"(data loss {data}, regularization {reg}); training would be NaN "
                "from the first step.",
                suggestion="Look for inputs with huge values, a linear head into a "
                "cross-entropy, labels outside the valid range, or NaN weights.",
            )
        ]
    if prior is None:
        return []
    high, low = 1.5 * prior + 0.05, 0.5 * prior
    balanced = ctx.units and abs(prior - np.log(max(ctx.units, 2))) < 0.01 * prior
    ln_c = " (ln C)" if ctx.kind != "regression" and balanced else ""
    if low <= data <= high:  # the data loss is right; the penalty may lift it
        if total <= high:
            return []
        return [
            Finding(
                "initial_loss",
                "info",
                value=total,
                threshold=high,
                message=f"The loss Keras reports at the start, {total:.4g}, is above "
                f"the priors' {prior:.4g}{ln_c} only because regularization adds "
                f"{reg:.3g}; the data loss {data:.4g} is as expected.",
                suggestion="Nothing to fix: compare the data loss, not the total, "
                "with the priors' loss (and see regularization_loss).",
            )
        ]
    why = [
        {
            "see output_activation": "the output activation does not fit the loss",
            "see unnormalized_input": "the inputs are far from unit scale",
        }[c]
        for c in ctx.causes
    ]
    if data > high:
        why.append(
            "the output layer is initialized too large (confident, wrong "
            "predictions): use a small output kernel and the class priors as bias"
        )
    if data < low:
        why.append("labels may leak into the inputs or be encoded wrongly")
    elif ctx.kind in ("sparse", "one_hot", "binary"):
        why.append("or the labels are encoded wrongly")
    # Keras' default initializers start real tables at 1-4x the priors' loss
    # and still train well: info, unless far off (a head initialized far too
    # large) or suspiciously low (labels leaking into the inputs).
    severity = "error" if data > 10 * prior + 1 else "warning" if data < low else "info"
    return [
        Finding(
            "initial_loss",
            severity,
            value=data,
            threshold=high if data > high else low,
            message=f"The data loss at initialization is {data:.4g} (plus "
            f"regularization {reg:.3g}), but predicting the training priors gives "
            f"{prior:.4g}{ln_c}.",
            suggestion="Likely cause: " + "; ".join(why) + ".",
        )
    ]
