"""Pre-flight checks and the learning-rate range test.

Floor: above `recipes.models`; never imports `recipes.search` or
`recipes.run`.

Modules: `preflight` (`preflight`, `PreflightReport`, the list of checks in
`CHECKS`, `validate`), `data` (the checks on the data and on the model at
initialization: `data_nan`, `constant_features`, `unnormalized_input`,
`label_range`, `output_activation`, which is
`callbacks.heads.head_findings`, and `initial_loss`), `rows` (the checks
that count rows: `class_imbalance`; `train_test_overlap`, held-out rows
found in training against training's own repetition), `model` (what the
checks share: the `Context` with one copy of the model, the priors' loss;
the `regularization_loss` check),
`training` (`overfit_small_subset`; `input_independent_baseline`, real
against zeroed inputs), `lr_finder` (`find_learning_rate`,
`LRFinderResult`). Use the public names from `recipes`:

>>> import recipes
>>> callable(recipes.preflight), callable(recipes.find_learning_rate)
(True, True)
"""
