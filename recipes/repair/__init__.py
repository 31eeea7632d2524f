"""Verified repair: from a verdict to a run that trains (`recipes.repair`).

Floor: above `recipes.run` (whose training step, report and plot helpers it
uses), below only `recipes.cli`.

Modules: `repair` (`repair`, the loop), `result` (`RepairResult`), `fixes`
(the typed changes a compile or a fit can take, and their base `Fix`),
`_model_fixes` and `_data_fixes` (the changes of the model and of the
repair's own copy of the data), `candidates` (which fixes to try for a
`Diagnosis.cause`), `_plan` (`Plan`: what one training run is made of),
`_edit` (editing a clone with `keras.models.clone_model`), `_outcome` (the
outcome metric and its noise), `_report` (the report). Use the public names
from `recipes`:

>>> import recipes
>>> callable(recipes.repair)
True
"""
