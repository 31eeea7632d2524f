"""What travels through `recipes.babysit`'s steps (private): the options it
was called with, and the run's state as each step fills it in."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class DataArgs:
    """`babysit`'s data arguments, as given: what to split and how."""

    x: object
    y: object
    x_test: object = None
    y_test: object = None
    validation_data: object = None
    validation_split: float = 0.15
    test_split: float = 0.2
    task: str = "auto"
    class_names: object = None
    table: object = None  # an unfitted TablePreprocessor, for a DataFrame x
    target_name: str | None = None


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """`babysit`'s training arguments, checked once at the door."""

    model: object = None  # None, a compiled Model, a builder or a RecipeHyperModel
    learning_rate: float | None = None
    epochs: int = 100
    batch_size: int | None = None
    patience: int | None = None
    preflight: bool = True
    tune: object = False  # True/False, or a TuneResult (trained, not searched)
    search_args: dict | None = None  # more `tune` arguments (the CLI's, private)
    callbacks: tuple = ()  # run after the Babysitter, as in `fit`
    babysitter: object = None  # a callbacks.Babysitter, or None (the default)
    seed: int | None = None
    verbose: int = 1
    strict: bool = False
    ensemble: int | None = None
    # a tf.distribute.Strategy or a keras.distribution.DataParallel or
    # ModelParallel (resolved from "all"), or None: one device
    distribution: object = None


@dataclasses.dataclass
class RunState:
    """The run as the steps fill it in; the report and files read it.

    `stages` holds `(stage, Finding)` pairs in the order found; `findings`
    is the same findings without their stage.
    """

    splits: object
    folder: str
    stages: list = dataclasses.field(default_factory=list)
    builder: str | None = None  # "build_mlp"/"build_cnn": the recipe's model
    make: object = None  # (rate, seed=, data=) -> a fresh recipe model
    model: object = None
    preflight: object = None
    lr_test: object = None
    lr_source: str | None = None
    search: object = None
    best_hyperparameters: dict | None = None
    learning_rate: float | None = None
    batch_size: int | None = None
    patience: int | None = None
    ensemble: int = 1
    history: dict = dataclasses.field(default_factory=dict)
    metrics: dict = dataclasses.field(default_factory=dict)
    baselines: dict = dataclasses.field(default_factory=dict)
    test_scores: tuple | None = None  # (y_test, P(class 1)) of a binary task
    test_predictions: tuple | None = None  # (y_test, predictions) of regression
    activations: tuple = ({}, {})  # probe activations at start and end
    figures: dict = dataclasses.field(default_factory=dict)

    @property
    def findings(self):
        return [f for _, f in self.stages]

    @property
    def target_name(self):
        return self.splits.target_name

    def add(self, stage, findings):
        """Adds `findings` under `stage`."""
        self.stages += [(stage, f) for f in findings]
