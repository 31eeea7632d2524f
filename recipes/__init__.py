"""keras-recipes: the CS231n "Training Neural Networks" recipe for Keras 3.

Public names are loaded on first use, so `import recipes` stays cheap and
never pulls in KerasTuner or matplotlib before they are needed.

Example:

>>> import recipes
>>> data = recipes.datasets.load("digits")
>>> model = recipes.build_mlp(
...     data.input_shape, data.num_classes, x_train=data.x_train,
...     y_train=data.y_train)
"""

import importlib

# public name -> module that defines it. A module never shares its name with
# the function it defines: importing `recipes.x` sets the package attribute `x`.
_LAZY = {
    "build_mlp": "recipes.mlp",
    "build_cnn": "recipes.cnn",
    "preprocessing_layer": "recipes.preprocessing",
    "recommendations": "recipes.advice",
    "RecipeHyperModel": "recipes.hypermodel",
    "tune": "recipes.tuning",
    "TuneResult": "recipes.tuning",
    "babysit": "recipes.run",
    "BabysitResult": "recipes.run",
    "evaluate": "recipes.evaluation",
    "preflight": "recipes.preflight_checks",
    "PreflightReport": "recipes.preflight_checks",
    "find_learning_rate": "recipes.lr_finder",
    "LRFinderResult": "recipes.lr_finder",
}
_SUBMODULES = ("datasets",)

__all__ = sorted([*_LAZY, *_SUBMODULES])
__version__ = "0.1.0"


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"recipes.{name}")
    else:
        raise AttributeError(f"module 'recipes' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return __all__
