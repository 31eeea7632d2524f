"""The `keras-recipes` argument parser: its commands, flags and defaults.

`recipes.cli` runs what this parser reads; keeping the flags apart keeps
each module to one job (and `--help` free of any heavy import). `as_flags`
turns the library's Python argument names in a message into these flags.
"""

from __future__ import annotations

import argparse
import re


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _add_data_args(p):
    p.add_argument(
        "data",
        metavar="DATA",
        help=".npz with arrays x and y (optionally x_test, y_test, class_names), "
        "or .csv / .tsv with --target",
    )
    p.add_argument("--target", help="label column of a CSV file")
    table = dict(nargs="+", action="extend", metavar="COL", default=[])
    p.add_argument("--drop", help="columns to leave out", **table)
    p.add_argument(
        "--categorical",
        help="columns to one-hot encode (string columns always are)",
        **table,
    )
    p.add_argument("--features", help="use only these columns as features", **table)
    p.add_argument(
        "--id-column",
        metavar="COL",
        help="column naming each row: never a feature, kept for predictions",
    )
    p.add_argument(
        "--task",
        default="auto",
        choices=("auto", "classification", "regression"),
        help="default: auto (integer labels are classes)",
    )
    p.add_argument("--seed", type=int, default=0, help="default: 0")


def _add_run_args(p, epochs):
    p.add_argument(
        "--output-dir", help="run folder (new or empty); default: runs/<timestamp>"
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=epochs,
        help=f"most epochs (early stopping ends sooner); default: {epochs}",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        help="default: 64, or training rows // 8 (at least 16) on a "
        "classification table of under 512 training rows",
    )
    p.add_argument(
        "--learning-rate", type=float, help="skip the range test and use this rate"
    )
    p.add_argument(
        "--patience",
        type=int,
        default=10,
        help="early-stopping patience in epochs; default: 10",
    )
    p.add_argument(
        "--ensemble",
        type=int,
        metavar="K",
        help="train K networks and average them; default: 5 on a table of under "
        "1,000 training rows, else 1 (with tune: 1)",
    )
    p.add_argument(
        "--no-preflight", action="store_true", help="skip the pre-flight checks"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 if any check reports an error",
    )
    p.add_argument(
        "--tensorboard",
        metavar="DIR",
        help="also write TensorBoard logs to DIR: losses and metrics, activation "
        "histograms per layer and epoch, the findings as text",
    )
    p.add_argument(
        "--devices",
        choices=("one", "all"),
        default="one",
        help="one: train on one device; all: on every GPU (TensorFlow, "
        "MirroredStrategy) or every device of JAX's platform (DataParallel), "
        "one when there is one; the checks and the search's trials stay on one; "
        "default: one",
    )
    p.add_argument("--quiet", action="store_true", help="print only the summary")


def build_parser():
    """The argument parser of `keras-recipes`."""
    parser = _Parser(
        prog="keras-recipes",
        description="The CS231n 'Training "
        "Neural Networks' recipe for Keras 3: check, babysit, "
        "evaluate and report a training run.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = sub.add_parser(
        "demo",
        help="the whole recipe on digits, into a run folder",
        description="Runs the whole recipe on the "
        "digits data set (pre-flight checks, learning-rate "
        "range test, babysat training, one test evaluation, "
        "report).",
    )
    _add_run_args(demo, epochs=40)
    demo.set_defaults(seed=0, task="auto")
    fit = sub.add_parser(
        "fit",
        help="the whole recipe on your data",
        description="Runs the whole recipe on DATA and writes a "
        "run folder with report.md.",
    )
    _add_data_args(fit)
    _add_run_args(fit, epochs=100)
    fit.add_argument(
        "--test-split",
        type=float,
        default=0.2,
        help="share held out for the test when DATA has no x_test; default: 0.2",
    )
    check = sub.add_parser(
        "check",
        help="pre-flight checks only",
        description="Runs the pre-flight checks on the "
        "recipe's model for DATA; trains nothing for long.",
    )
    _add_data_args(check)
    check.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 if a check reports an error",
    )
    tune = sub.add_parser(
        "tune",
        help="random search, then the whole recipe",
        description="Random search over learning rate, "
        "regularization and size (recipes.tune), then the "
        "babysat run with the best hyperparameters.",
    )
    _add_data_args(tune)
    _add_run_args(tune, epochs=30)
    tune.add_argument(
        "--max-trials", type=int, default=10, help="trials of the search; default: 10"
    )
    tune.add_argument(
        "--trial-epochs", type=int, default=10, help="epochs per trial; default: 10"
    )
    tune.add_argument("--test-split", type=float, default=0.2, help="default: 0.2")
    tune.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="K-fold cross-validation per trial (stratified for classes); "
        "default: 5 folds when the validation split has under 200 rows",
    )
    predict = sub.add_parser(
        "predict",
        help="predictions of a saved model on a table",
        description="Reads MODEL (a run folder's model.keras trained on a "
        "CSV) and writes its predictions for the rows of DATA.",
    )
    predict.add_argument("model", metavar="MODEL", help="model.keras of a run")
    predict.add_argument("data", metavar="DATA", help=".csv or .tsv of raw rows")
    predict.add_argument(
        "--output", metavar="PATH", help="CSV to write; default: standard output"
    )
    _add_repair(sub)
    return parser


def _add_repair(sub):
    repair = sub.add_parser(
        "repair",
        help="find what is wrong with a saved model's training, fix it, prove it",
        description="Trains a fresh copy of MODEL (a compiled .keras file, "
        "loaded in Keras' safe mode only: a Lambda layer is refused) on DATA, "
        "watched by the Babysitter; when the run fails, tries the fixes its "
        "verdict names, each from the same start with the same budget, and "
        "keeps one only when the validation metric beats the baseline beyond "
        "the measured noise (recipes.repair). Writes the run folder (report, "
        "before/after curves, model.keras) and prints the result, the changes "
        "as code.",
        epilog="Exit status: 0 when the repair ran, whether or not a change was "
        "accepted (the printed result says which); 2 on bad input (one line on "
        "stderr, nothing written); 130 when interrupted (no run folder left).",
    )
    repair.add_argument(
        "model", metavar="MODEL", help="a compiled Keras model saved as .keras"
    )
    repair.add_argument(
        "data",
        metavar="DATA",
        help=".npz with arrays x_train, y_train and optionally x_val, y_val "
        "(no pickles), or a .csv / .tsv of numeric columns with --target",
    )
    repair.add_argument("--target", help="label column of a CSV file")
    repair.add_argument(
        "--epochs",
        type=int,
        default=20,
        help="epochs of every run, the budget each fix is judged on; default: 20",
    )
    repair.add_argument("--batch-size", type=int, help="default: 32 (Keras')")
    repair.add_argument(
        "--max-retrains",
        type=int,
        default=6,
        help="most training runs after the baseline; default: 6",
    )
    repair.add_argument(
        "--validation-split",
        type=float,
        help="share of the rows held out (the last ones, as fit takes them) when "
        "DATA has no x_val, y_val; default: 0.2",
    )
    repair.add_argument("--seed", type=int, default=0, help="default: 0")
    repair.add_argument(
        "--output-dir", help="run folder (new or empty); default: runs/<timestamp>"
    )
    repair.add_argument(
        "--quiet", action="store_true", help="print only the result, not each run"
    )


def _flags(parser):
    """`{python_name: "--flag"}` for every option of every command."""
    found, todo = {}, [parser]
    while todo:
        p = todo.pop()
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend(action.choices.values())
            longs = [o for o in action.option_strings if o.startswith("--")]
            if longs and action.dest not in ("help", "no_preflight"):
                found[action.dest] = longs[0]
    return found


def as_flags(message, parser):
    """Rewrites Python argument names in `message` as the flags of `parser`.

    The library speaks Python (`task='regression'`, `` `output_dir` ``); on
    the command line the same advice reads `--task regression` and
    `--output-dir`.
    """
    for name, flag in sorted(_flags(parser).items(), key=lambda kv: -len(kv[0])):
        value = r"""('[^']*'|"[^"]*"|[^\s,;)]+)"""
        message = re.sub(
            rf"(?<![\w.`-]){name}={value}",
            lambda m, flag=flag: f"{flag} {m.group(1).strip(chr(39) + chr(34))}",
            message,
        )
        message = re.sub(rf"`{name}`", flag, message)
    return message
