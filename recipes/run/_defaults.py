"""The defaults of `recipes.babysit` (private): the model and its training, sized
for tables."""

from __future__ import annotations

import functools
import inspect


def default_model(splits, *, learning_rate, seed, builder=None):
    """A compiled model from `builder`, called like the recipe's builders
    (`None`: `build_mlp` for vectors, `build_cnn` for sequences and images).

    On a table, a builder that takes `hidden_units` and was not given them
    (by a `functools.partial`) gets the table's widths (`table_units`).
    """
    if builder is None:
        from recipes.models.cnn import build_cnn
        from recipes.models.mlp import build_mlp

        builder = build_mlp if splits.x_train.ndim == 2 else build_cnn
    extra = {}
    units = table_units(splits)
    if units and _sizes_units(builder):
        extra["hidden_units"] = units
    return builder(
        splits.x_train.shape[1:],
        splits.num_classes if splits.task == "classification" else None,
        x_train=splits.x_train,
        y_train=splits.y_train,
        task=splits.task,
        learning_rate=learning_rate,
        seed=seed,
        **extra,
    )


def _sizes_units(builder):
    """True when `builder` takes `hidden_units` and the caller left them."""
    if isinstance(builder, functools.partial) and "hidden_units" in builder.keywords:
        return False
    try:
        params = inspect.signature(builder).parameters
    except (TypeError, ValueError):
        return False
    return "hidden_units" in params


def builder_name(builder, splits):
    """How the report names the builder: `recipes.build_mlp`, with the
    arguments a `functools.partial` fixed, or the caller's function."""
    if builder is None:
        return "recipes.build_mlp" if splits.x_train.ndim == 2 else "recipes.build_cnn"
    fixed = ""
    if isinstance(builder, functools.partial):
        given = [repr(a) for a in builder.args]
        given += [f"{k}={v!r}" for k, v in builder.keywords.items()]
        fixed, builder = f"({', '.join(given)})", builder.func
    name = getattr(builder, "__qualname__", type(builder).__name__)
    module = getattr(builder, "__module__", "") or ""
    if module.startswith("recipes.") and name in ("build_mlp", "build_cnn"):
        module = "recipes"
    return f"{module}.{name}{fixed}" if module else f"{name}{fixed}"


BATCH_SIZE, PATIENCE = 64, 10
MIN_STEPS, MIN_BATCH_SIZE = 8, 16  # a table's epoch: at least 8 steps of >= 16


def training_defaults(splits, *, batch_size, patience):
    """`(batch_size, patience)`, each `None` replaced by its default.

    The batch is 64, except on a classification table whose training rows
    would give fewer than 8 steps an epoch: there it is `rows // 8`, at
    least 16 (wine's 120 training rows: 16; iris's 102: 16; breast cancer's
    386: 48). At batch 64 wine has 2 steps an epoch, so BatchNormalization's
    moving statistics (momentum 0.99) are still mostly their initial values
    when early stopping picks an epoch a dozen epochs in: the validation
    loss, computed with them, rises from epoch 2 while the training accuracy
    climbs, and an early epoch is restored (iris on its own rows: accuracy
    0.68 at batch 64, 0.98 at 16). Regression keeps 64: at batch 16 or 37
    the range test's loss on diabetes is noise and it suggested 1e-6 to 1e-8
    (R² about 0). The patience stays 10: 20 measured no better (README,
    "Tables").
    """
    if batch_size is None:
        batch_size = BATCH_SIZE
        rows = len(splits.x_train)
        if (
            splits.table is not None
            and splits.task == "classification"
            and rows < MIN_STEPS * BATCH_SIZE
        ):
            batch_size = max(MIN_BATCH_SIZE, rows // MIN_STEPS)
    if patience is None:
        patience = PATIENCE
    return batch_size, patience


def table_units(splits):
    """The default MLP's widths for a table, by its training rows, or None.

    The builder's 1024x1024 default (about 1M parameters) is for images and
    long vectors; on a table of a few hundred rows it overfits and ends
    below a linear model. Measured (benchmarks/tabular.py, seed 0): diabetes
    (353 training rows) R² 0.357 at 64x64 against 0.289 at 256x256 and
    0.288 at 1024x1024.
    """
    if splits.table is None or splits.x_train.ndim != 2:
        return None
    rows = len(splits.x_train)
    return (64, 64) if rows < 1000 else (256, 256) if rows < 20000 else None


def size_findings(model, splits):
    """Info when the network has far more parameters than training rows."""
    from callbacks import Finding

    params, rows = model.count_params(), len(splits.x_train)
    if params <= 100 * rows:
        return []
    units = table_units(splits)
    sized = (
        f" The default network was sized down to {'x'.join(map(str, units))} "
        "for this table (1024x1024 would be ~1M parameters)."
        if units
        else ""
    )
    return [
        Finding(
            "parameters_per_row",
            "info",
            value=params / rows,
            threshold=100,
            message=f"The network has {params:,} parameters for {rows:,} training "
            f"rows ({params / rows:,.0f} per row).{sized}",
            suggestion="Compare with the baselines below; if the linear model is "
            "as good, a smaller network "
            "(model=functools.partial(recipes.build_mlp, hidden_units=(64,))) or "
            "more regularization may do better.",
        )
    ]
