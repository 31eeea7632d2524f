"""Verified repair: from a verdict to a run that trains (`recipes.repair`).

Floor: above `recipes.run` (whose training step, report and plot helpers it
uses), below only `recipes.cli`.

Modules: `repair` (`repair`, the loop), `result` (`RepairResult`), `fixes`
(the typed changes a compile or a fit can take, and their base `Fix`),
`_model_fixes` and `_data_fixes` (the changes of the model and of the
repair's own copy of the data), `candidates` (which fixes to try for a
`Diagnosis.cause`), `_plan` (`Plan`: what one training run is made of),
`_edit` (editing a clone with `keras.models.clone_model`), `_outcome` (the
outcome metric and its noise), `_report` (the report), `_train` (one run).

`recipes.repair` is this room, and calling it calls the function
`recipes.repair.repair.repair` (the room and the function share the name
the issue gave them; a room is a package, so Python would otherwise replace
a function `recipes.repair` with the package as soon as one of its modules
is imported):

>>> import recipes
>>> callable(recipes.repair)
True
>>> import inspect
>>> "max_retrains" in str(inspect.signature(recipes.repair))
True
"""

import sys
import types


class _Room(types.ModuleType):
    """The `recipes.repair` package, callable as `repair(...)`."""

    def __call__(self, *args, **kwargs):
        from recipes.repair.repair import repair

        return repair(*args, **kwargs)


def __getattr__(name):
    if name == "__signature__":  # inspect.signature(recipes.repair)
        import inspect

        from recipes.repair.repair import repair

        return inspect.signature(repair)
    raise AttributeError(f"module 'recipes.repair' has no attribute {name!r}")


sys.modules[__name__].__class__ = _Room
