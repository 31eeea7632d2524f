"""The two training checks of `preflight`: overfit ~20 examples; real against
zeroed inputs. Both train the context's unregularized copy of the model, never
the user's model.
"""

from __future__ import annotations

import keras
import numpy as np

from callbacks import Finding


def _fit_steps(model, x, y, steps, batch, rng):
    """`steps` compiled train steps on shuffled mini-batches of `batch` rows."""
    order, batch = np.arange(0), min(batch, len(x))
    for _ in range(steps if batch else 0):
        if len(order) < batch:
            order = np.concatenate([order, rng.permutation(len(x))])
        idx, order = order[:batch], order[batch:]
        model.train_on_batch(x[idx], y[idx])


def _score(ctx, model, x, y):
    """Accuracy (classification) or loss (regression) in one forward pass."""
    y_pred = keras.ops.convert_to_numpy(model(x, training=True))  # no dropout left
    if ctx.kind == "sparse":
        return float((y_pred.argmax(-1) == y.reshape(-1)).mean())
    if ctx.kind == "one_hot":
        return float((y_pred.argmax(-1) == y.argmax(-1)).mean())
    if ctx.kind == "binary":
        cut = 0.0 if ctx.from_logits else 0.5
        return float(((y_pred > cut) == (y.reshape(y_pred.shape) > 0.5)).mean())
    return float(model.compute_loss(x=x, y=y, y_pred=y_pred))


def overfit_small_subset(ctx):
    """Trains the unregularized copy on ~20 examples until it memorizes them."""
    clone, rng = ctx.train_clone, ctx.rng
    idx = ctx.subset
    x, y = ctx.x[idx], ctx.y[idx]
    classify = ctx.kind in ("sparse", "one_hot", "binary")
    start = _score(ctx, clone, x, y)
    score, steps = start, 0
    while steps < ctx.overfit_steps:
        _fit_steps(clone, x, y, 25, len(x), rng)
        steps += 25
        score = _score(ctx, clone, x, y)
        if (classify and score >= 1.0) or (not classify and score <= 1e-3 * start):
            break
    goal = 0.95 if classify else 0.05 * start
    ok = score >= goal if classify else score <= goal
    if ok:
        return []
    what = f"{score:.0%} training accuracy" if classify else f"loss {score:.3g}"
    return [
        Finding(
            "overfit_small_subset",
            "error",
            value=score,
            threshold=goal,
            message=f"With regularization off, {steps} steps on {len(x)} examples "
            f"reached only {what}; a working model memorizes a tiny subset.",
            suggestion="Look for a bug: labels shuffled apart from their inputs, a "
            "model too small or a frozen/bottleneck layer, a wrong loss, or an "
            "optimizer that does not update (learning rate 0).",
        )
    ]


def input_independent_baseline(ctx):
    """Trains on real and on zeroed inputs; the real inputs must win clearly."""
    clone, rng = ctx.train_clone, ctx.rng
    fit, (xe, ye) = ctx.baseline_split
    x, y = ctx.x[fit], ctx.y[fit]
    batch = len(ctx.subset)
    results = []
    for inputs in (x, np.zeros_like(x)):
        ctx.reset_train_clone()
        _fit_steps(clone, inputs, y, ctx.baseline_steps, batch, rng)
        data = xe if inputs is x else np.zeros_like(xe)
        y_pred = clone(data, training=True)
        results.append(float(clone.compute_loss(x=data, y=ye, y_pred=y_pred)))
    real, zero = results
    if np.isfinite(real) and real < 0.8 * zero:
        return []
    return [
        Finding(
            "input_independent_baseline",
            "error" if real >= zero else "warning",
            value=real,
            threshold=0.8 * zero,
            message=f"After {ctx.baseline_steps} steps the loss on held-out data is "
            f"{real:.4g} with the real inputs and {zero:.4g} with all inputs "
            "zeroed: the model barely uses its inputs.",
            suggestion="Check that inputs and labels line up (no shuffling of one "
            "without the other), that no layer multiplies the inputs away "
            "(frozen zero weights), and that the inputs carry signal.",
        )
    ]
