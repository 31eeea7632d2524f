"""The defaults of `recipes.babysit` (private): the model and its training, sized
for tables."""

from __future__ import annotations


def default_model(splits, *, learning_rate, seed, model_kwargs):
    """`build_mlp` for vectors, `build_cnn` for sequences and images."""
    from recipes.models.cnn import build_cnn
    from recipes.models.mlp import build_mlp

    rank = splits.x_train.ndim - 1
    builder = build_mlp if rank == 1 else build_cnn
    model_kwargs = dict(model_kwargs or {})
    units = table_units(splits)
    if units and "hidden_units" not in model_kwargs:
        model_kwargs["hidden_units"] = units
    return builder(
        splits.x_train.shape[1:],
        splits.num_classes if splits.task == "classification" else None,
        x_train=splits.x_train,
        y_train=splits.y_train,
        task=splits.task,
        learning_rate=learning_rate,
        seed=seed,
        **(model_kwargs or {}),
    )


SMALL_TABLE_ROWS = 1000  # training rows under which a table is "small"
BATCH_SIZE, PATIENCE = 64, 10  # arrays and larger tables
SMALL_BATCH_SIZE, SMALL_PATIENCE = 16, 20  # tables under SMALL_TABLE_ROWS


def small_table(splits):
    """True for a DataFrame with fewer than `SMALL_TABLE_ROWS` training rows."""
    return splits.table is not None and len(splits.x_train) < SMALL_TABLE_ROWS


def training_defaults(splits, *, batch_size, patience):
    """`(batch_size, patience)`, each `None` replaced by its default.

    On a small table, batch 64 gives 2 to 6 steps an epoch (wine's 120
    training rows: 2), so BatchNormalization's moving statistics (momentum
    0.99) are still mostly their initial values when early stopping picks
    an epoch a dozen epochs in: the validation loss, computed with them,
    rises while the training accuracy climbs, and the restored epoch is an
    early one. Batch 16 gives 4x the steps; patience 20 (ReduceLROnPlateau
    at 6) lets the 17-60 validation rows' noisy loss recover before
    stopping. Measured on the training rows only (benchmarks/tabular.py's
    outer test rows held out; README, "Tables").
    """
    small = small_table(splits)
    if batch_size is None:
        batch_size = SMALL_BATCH_SIZE if small else BATCH_SIZE
    if patience is None:
        patience = SMALL_PATIENCE if small else PATIENCE
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
            "as good, a smaller network (model_kwargs={'hidden_units': (64,)}) or "
            "more regularization may do better.",
        )
    ]
