"""The two training checks of `preflight`: overfit ~20 examples; real against
zeroed inputs. Both train the context's unregularized copy of the model, never
the user's model.
"""

from __future__ import annotations

import keras
import numpy as np

from callbacks import Finding
from recipes.checks.model import clone_with_weights, strip_regularization


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


def _loss(model, x, y):
    y_pred = model(x, training=False)
    return float(model.compute_loss(x=x, y=y, y_pred=y_pred, training=False))


def _memorize(ctx, model, x, y):
    """Trains `model` on `(x, y)` in chunks of 25 steps until it memorizes
    them; returns `(score, steps, losses, memorized, goal)`, `losses` being
    the loss before and after each chunk."""
    classify = ctx.kind in ("sparse", "one_hot", "binary")
    start = _score(ctx, model, x, y)
    score, steps, losses = start, 0, [_loss(model, x, y)]
    while steps < ctx.overfit_steps:
        _fit_steps(model, x, y, 25, len(x), ctx.rng)
        steps += 25
        score = _score(ctx, model, x, y)
        losses.append(_loss(model, x, y))
        if (classify and score >= 1.0) or (not classify and score <= 1e-3 * start):
            break
    goal = 0.95 if classify else 0.05 * start
    return score, steps, losses, (score >= goal if classify else score <= goal), goal


def overfit_small_subset(ctx):
    """Trains the unregularized copy on ~20 examples until it memorizes them,
    with the user's optimizer; when that is too slow to decide, once more with
    Adam(1e-2) on a fresh copy, to tell a slow setup from a model that cannot
    fit."""
    idx = ctx.subset
    x, y = ctx.x[idx], ctx.y[idx]
    classify = ctx.kind in ("sparse", "one_hot", "binary")
    score, steps, losses, ok, goal = _memorize(ctx, ctx.train_clone, x, y)
    ctx.memorized = ok
    if ok:
        return []
    what = f"{score:.0%} training accuracy" if classify else f"loss {score:.3g}"
    # still falling over the last 50 steps: too slow to decide, not stuck
    falling = losses[-1] < 0.98 * losses[-3] and losses[-1] < 0.9 * losses[0]
    if falling:
        fast = clone_with_weights(
            ctx.model, ctx.model.loss, keras.optimizers.Adam(1e-2)
        )
        strip_regularization(fast)
        fast_score, _, fast_losses, fast_ok, _ = _memorize(ctx, fast, x, y)
        if fast_ok:
            ctx.memorized = True
            return [
                Finding(
                    "overfit_small_subset",
                    "info",
                    value=score,
                    threshold=goal,
                    message=f"With your optimizer and learning rate, {steps} steps "
                    f"on {len(x)} examples reached {what} (loss {losses[0]:.3g} "
                    f"-> {losses[-1]:.3g}), still falling; with Adam(1e-2) the "
                    "same model memorizes them, so the model can fit: your setup "
                    "just learns more slowly.",
                    suggestion="Nothing to fix if training goes well; if it stalls, "
                    "try a 10x higher learning rate.",
                )
            ]
        score, losses = fast_score, fast_losses
        what = f"{score:.0%} training accuracy" if classify else f"loss {score:.3g}"
        what += " even with Adam(1e-2)"
    return [
        Finding(
            "overfit_small_subset",
            "error",
            value=score,
            threshold=goal,
            message=f"With regularization off, {steps} steps on {len(x)} examples "
            f"reached only {what} (loss {losses[0]:.3g} -> {losses[-1]:.3g}); "
            "a working model memorizes a tiny subset.",
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
    if not ctx.memorized or real <= 1.02 * zero:
        # the model did not even memorize the subset, or the real inputs are
        # about as good as none (a weak signal after few steps): too little
        # training to call it a bug. Labels apart from their inputs make the
        # real inputs clearly worse: the model learns noise.
        return [
            Finding(
                "input_independent_baseline",
                "info",
                value=real,
                threshold=0.8 * zero,
                message=f"After {ctx.baseline_steps} steps the held-out loss is "
                f"{real:.4g} with the real inputs and {zero:.4g} with zeroed "
                "inputs: too little training to tell whether the model uses its "
                "inputs.",
                suggestion="Nothing to fix if training goes well.",
            )
        ]
    return [
        Finding(
            "input_independent_baseline",
            "error",
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
