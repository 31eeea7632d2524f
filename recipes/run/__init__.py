"""One babysat run into a run folder: `babysit`, `evaluate`, the report.

Floor: the top of the library, below only `recipes.cli`.

Modules: `babysit` (`babysit`), `_door` (its arguments and their combinations,
checked before any work; the removed keywords), `result` (`BabysitResult`),
`errors` (`PreflightError`), `_flow` (the run's steps in order), `_steps` (each
step), `_devices` (one device or several: `babysit(distribution=...)`),
`_fit_callbacks` (the run's progress callbacks), `evaluation`
(`evaluate`), `report` (report.md), `plots` (the run folder's figures).
Use the public names from `recipes`:

>>> import recipes
>>> callable(recipes.babysit)
True
"""
