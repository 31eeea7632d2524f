"""
Title: Random search, coarse to fine, on digits
Description: Tune the learning rate, L2, dropout, width, depth and batch size of
`build_mlp` with `recipes.tune`, then evaluate the best model once on the test set.

Run: `python examples/tune_digits.py` (a few minutes on 2 cores). Run it again:
the search resumes from `runs/tune_digits` and only finishes what is missing.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import recipes  # noqa: E402
from recipes import datasets  # noqa: E402

"""
## Data

Digits: 8x8 images, 10 classes, fixed stratified train/validation/test splits.
"""

data = datasets.load("digits")

"""
## Search

Stage 0: 12 short trials over the full log ranges. Stage 1: 6 longer trials in
ranges narrowed around the best 3. Each trial is babysat: a diverging or dead
trial stops early and the search moves on.
"""

result = recipes.tune(
    data.x_train,
    data.y_train,
    validation_data=data.validation_data,
    stages=[{"trials": 12, "epochs": 3}, {"trials": 6, "epochs": 12, "top": 3}],
    directory="runs",
    project_name="tune_digits",
    seed=0,
)

"""
## Results

One row a trial; the best hyperparameters; the lecture's scatter plot of
learning rate against L2, colored by validation accuracy.
"""

table = result.table()
print(table.drop(columns=["reason", "tuner_id"]).round(4).to_string())
print("best:", result.best_hyperparameters)
for finding in result.findings:
    print(finding)
result.to_csv(os.path.join(result.directory, "trials.csv"))
result.plot(os.path.join(result.directory, "lr_vs_l2.png"))

"""
## Test

The best trial's own model, then the same hyperparameters refit on train +
validation for the best trial's best epoch (more data, nothing held out: the
test set is the only measure of it). Both numbers are for information: choosing
between the two models by their test accuracy would make it a validation set.
"""

model = result.best_model()
loss, accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
print(f"test accuracy of the best model: {accuracy:.3f}")
final = result.best_model(refit=True)
loss, refit_accuracy = final.evaluate(data.x_test, data.y_test, verbose=0)
print(f"test accuracy refit on train + validation: {refit_accuracy:.3f}")
