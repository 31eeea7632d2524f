"""`RecipeHyperModel`: the recipe's builders as a KerasTuner `HyperModel`."""

from __future__ import annotations

import inspect

import keras_tuner
import numpy as np

from recipes.search import space as _search_space

# Builder keywords that are data or plumbing, never hyperparameters.
_NOT_TUNABLE = (
    "input_shape",
    "num_classes",
    "x_train",
    "y_train",
    "compile",
    "seed",
    "name",
    "hidden_units",
)


def _builder_fn(builder):
    if builder == "mlp":
        from recipes.models.mlp import build_mlp

        return build_mlp
    if builder == "cnn":
        from recipes.models.cnn import build_cnn

        return build_cnn
    raise ValueError(
        "`builder` must be 'mlp' (build_mlp) or 'cnn' (build_cnn). "
        f"Received: builder={builder!r}"
    )


class RecipeHyperModel(keras_tuner.HyperModel):
    """`build_mlp` or `build_cnn` with a search space, for KerasTuner.

    `build(hp)` declares every hyperparameter of the search space and calls
    the builder; `fit(hp, model, ...)` sets the batch size from `hp`. The
    defaults follow the lecture: learning rate log-uniform in [1e-4, 1e-1],
    L2 log-uniform in [1e-6, 1e-2], dropout uniform in [0, 0.7], width
    (`units` for the MLP, the first block's `filters` for the CNN, doubled
    per block) log-uniform in [256, 1024] / [8, 64], `depth` in 1..3,
    `batch_size` one of 32, 64, 128, 256, and for the MLP `batch_norm` True
    or False. BatchNormalization is the recipe's default and the default
    trial keeps it, but on small data an MLP can end better without it
    (MNIST-1D: 0.733 without, 0.720 with, in the recipe ablation), so the
    search decides; the CNN keeps it. The MLP's width starts at 256
    because the lecture's advice is a network as big as the budget allows,
    regularized, rather than a small one: short coarse trials favour small
    nets that learn fast and end worse.

    `search_space` narrows, widens, fixes or drops any of them, and may add
    any other keyword of the builder (`activation`, `batch_norm`,
    `preprocessing`, `kernel_size`, ...):

    - `(low, high)` or `(low, high, "log")`: a range (`"log"` is kept for
      names whose default range is logarithmic);
    - `[a, b, c]`: a choice;
    - a single value: fixed;
    - `None`: dropped (the builder's default is used).

    Args:
        builder: `"mlp"` or `"cnn"`. Defaults to `"mlp"`.
        input_shape: Shape of one example. Defaults to `None` (from
            `x_train`; without it, `tune` and `babysit` take it from their
            data, and `build` needs one of them).
        num_classes: Number of classes. Defaults to `None` (from `y_train`,
            or the data of `tune` and `babysit`).
        x_train: Training inputs the preprocessing is fitted on. Defaults to
            `None`.
        y_train: Training labels (class priors for the output bias).
            Defaults to `None`.
        search_space: Dict of overrides, see above. Defaults to `None`.
        builder_kwargs: Fixed keyword arguments for the builder that are not
            hyperparameters (e.g. `{"preprocessing": "pca"}`). Defaults to
            `None`.
        seed: Seed for the initializers. Defaults to `None`.
        name: Name of the hypermodel. Defaults to `None`.

    Raises:
        ValueError: On an unknown builder or hyperparameter name, an empty,
            inverted or non-positive log range, or a value outside its
            limits.
        TypeError: On a search-space entry of the wrong type.

    Example:

    >>> import keras_tuner
    >>> from recipes import datasets, RecipeHyperModel
    >>> data = datasets.load("iris")
    >>> hypermodel = RecipeHyperModel(
    ...     "mlp", x_train=data.x_train, y_train=data.y_train,
    ...     search_space={"learning_rate": (1e-3, 1e-2), "depth": 1,
    ...                   "batch_size": None})
    >>> model = hypermodel.build(keras_tuner.HyperParameters())
    >>> [layer.name for layer in model.layers][-1]
    'output'
    """

    def __init__(
        self,
        builder="mlp",
        input_shape=None,
        num_classes=None,
        *,
        x_train=None,
        y_train=None,
        search_space=None,
        builder_kwargs=None,
        seed=None,
        name=None,
    ):
        super().__init__(name=name, tunable=True)
        self._fn = _builder_fn(builder)
        params = inspect.signature(self._fn).parameters
        self._fn_defaults = {k: p.default for k, p in params.items()}
        allowed = [k for k in params if k not in _NOT_TUNABLE]
        self.builder = builder
        self.specs = _search_space.resolve(builder, search_space, allowed=allowed)
        self.builder_kwargs = dict(builder_kwargs or {})
        unknown = sorted(set(self.builder_kwargs) - set(params))
        if unknown:
            raise ValueError(
                f"`builder_kwargs` has names that build_{builder} does not take: "
                f"{unknown}. Received: builder_kwargs={builder_kwargs!r}"
            )
        if input_shape is None and x_train is not None:
            input_shape = tuple(np.shape(x_train)[1:])
        if num_classes is None and y_train is not None:
            num_classes = int(np.max(y_train)) + 1
        # Both may stay None: `tune` and `babysit` take them from the data.
        self.input_shape = None if input_shape is None else tuple(input_shape)
        self.num_classes = num_classes
        self.x_train = x_train
        self.y_train = y_train
        self.seed = seed

    @property
    def search_space(self):
        """The resolved search space, in the user-facing format."""
        return {name: spec.to_user() for name, spec in self.specs.items()}

    def default_values(self):
        """The builder's own value of every hyperparameter in the space.

        What the builder (with `builder_kwargs`) would use untuned: `units`
        and `depth` (or `filters`) from its default layer sizes and
        `batch_size` from `Model.fit`'s default of 32. `tune` runs these as
        the first trial, so a search always measures the recipe's defaults.

        Example:

        >>> from recipes import RecipeHyperModel
        >>> RecipeHyperModel("mlp", (4,), 3).default_values()["units"]
        1024
        """
        fixed = {**self._fn_defaults, **self.builder_kwargs}
        sizes = fixed["hidden_units" if self.builder == "mlp" else "filters"]
        sizes = tuple(sizes) or (512,)
        known = {
            "units": sizes[0],
            "filters": sizes[0],
            "depth": len(sizes),
            "batch_size": 32,
        }
        return {
            name: known[name] if name in known else fixed.get(name)
            for name in self.specs
        }

    def declare_hyperparameters(self, hp):
        """Declares every hyperparameter of the space on `hp`; returns values."""
        values = {}
        for name, spec in self.specs.items():
            if spec.kind == "float":
                values[name] = hp.Float(
                    name, spec.low, spec.high, sampling=spec.sampling
                )
            elif spec.kind == "int":
                values[name] = hp.Int(name, spec.low, spec.high, sampling=spec.sampling)
            elif spec.kind == "choice":
                values[name] = spec.cast(hp.Choice(name, list(spec.values)))
            else:
                values[name] = hp.Fixed(name, spec.values[0])
        return values

    def build(self, hp):
        """Builds the model for the values in `hp` (fitted on `x_train`)."""
        return self.build_for_data(hp, self.x_train, self.y_train)

    def build_for_data(self, hp, x_train, y_train):
        """Builds the model for `hp` with preprocessing fitted on `x_train`.

        Cross-validation calls this once per fold so that the preprocessing
        only sees the fold's training part.
        """
        if self.input_shape is None or self.num_classes is None:
            raise ValueError(
                "Building needs the data's shape and classes: pass `input_shape` "
                "and `num_classes` (or `x_train` and `y_train`), or hand the "
                "hypermodel to recipes.tune or recipes.babysit, which take them "
                f"from the data. Received: input_shape={self.input_shape}, "
                f"num_classes={self.num_classes}"
            )
        values = self.declare_hyperparameters(hp)
        values.pop("batch_size", None)
        kwargs = dict(self.builder_kwargs)
        depth = values.pop("depth", None)
        if self.builder == "mlp":
            units = values.pop("units", None)
            if units is not None or depth is not None:
                default = tuple(self._fn_defaults["hidden_units"]) or (512,)
                units = default[0] if units is None else units
                depth = len(default) if depth is None else depth
                kwargs["hidden_units"] = (int(units),) * int(depth)
        else:
            base = values.pop("filters", None)
            if base is not None or depth is not None:
                default = tuple(self._fn_defaults["filters"])
                base = default[0] if base is None else base
                depth = len(default) if depth is None else depth
                kwargs["filters"] = tuple(int(base) * 2**i for i in range(int(depth)))
        kwargs.update(values)
        return self._fn(
            self.input_shape,
            self.num_classes,
            x_train=x_train,
            y_train=y_train,
            seed=self.seed,
            **kwargs,
        )

    def batch_size(self, hp):
        """The batch size `fit` trains `hp` with (`Model.fit`'s 32 untuned)."""
        return hp.get("batch_size") if "batch_size" in self.specs else 32

    def fit(self, hp, model, *args, **kwargs):
        """Trains `model`, with `batch_size` from `hp` when it is tuned."""
        if "batch_size" in self.specs:
            kwargs["batch_size"] = hp.get("batch_size")
        return model.fit(*args, **kwargs)
