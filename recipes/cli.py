"""The `keras-recipes` command line (also `python -m recipes`).

    keras-recipes demo                      # digits, the whole recipe
    keras-recipes fit data.csv --target y   # your own data
    keras-recipes check data.npz            # pre-flight checks only
    keras-recipes tune data.npz             # random search, then the run
    keras-recipes predict model.keras new.csv --output preds.csv
    keras-recipes repair model.keras data.npz --epochs 20   # fix a saved program

Exit status: 0 on success (for `repair`: it ran, fixed or not), 2 on bad
input (one line on stderr, no traceback, nothing written), 1 when `--strict`
is given and a check reported an error.

Cheap checks (flags, the data file, its labels, the run folder) run before
Keras is imported; Keras and TensorFlow are then imported with TensorFlow's
native start-up log lines silenced (`TF_CPP_MIN_LOG_LEVEL=3`, unless set).
"""

from __future__ import annotations

import os
import sys

from recipes import _validate
from recipes._cli_checks import (
    check_output_dir,
    import_keras_quietly,
    positive,
)
from recipes._cli_parser import as_flags, build_parser
from recipes._data_files import BadInput, load_data, one_line


def _babysit(args, x, y, search=None, **kwargs):
    """`babysit` with the flags; with `search` (`tune`'s stages and folds)
    its private door, since `babysit(tune=True)` runs the default search."""
    from callbacks import Babysitter
    from recipes.run import _door, _fit_callbacks
    from recipes.run._state import DataArgs
    from recipes.run.babysit import babysit, babysit_checked

    training = dict(
        strict=args.strict,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        ensemble=args.ensemble,
        preflight=not args.no_preflight,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
        babysitter=None,
        callbacks=None,
        distribution="all" if args.devices == "all" else None,
    )
    if args.tensorboard is not None:  # the sitter, then both TensorBoards
        sitter = Babysitter(verbose=training["verbose"])
        board = _fit_callbacks.tensorboard(args.tensorboard, sitter)
        training.update(babysitter=sitter, callbacks=board)
    if search is None:
        result = babysit(x, y, output_dir=args.output_dir, **training, **kwargs)
    else:  # the search sees the training and validation splits only
        table, task = kwargs.get("table"), kwargs["task"]
        options = _door.run_options(
            x,
            table=table,
            task=task,
            search_args=search,
            model=None,
            tune=True,
            **training,
        )
        title = kwargs.pop("title", None)
        data = DataArgs(x, y, **kwargs)
        result = babysit_checked(data, options, output_dir=args.output_dir, title=title)
    print()
    print(result.summary())
    if args.strict and result.errors:
        checks = sorted({f.check for f in result.errors})
        print(
            f"keras-recipes: error: {len(result.errors)} error finding(s) "
            f"({', '.join(checks)}) and --strict was given",
            file=sys.stderr,
        )
        return 1
    return 0


def _data_kwargs(args):
    table = {
        "drop": args.drop,
        "categorical": args.categorical,
        "id_column": args.id_column,
        "features": args.features,
    }
    if args.data.lower().endswith((".csv", ".tsv")):
        return _table_kwargs(args, table)
    given = [f"--{k.replace('_', '-')}" for k, v in table.items() if v]
    if given:
        raise BadInput(
            f"{', '.join(given)} work on .csv / .tsv tables; an .npz holds "
            f"arrays. Received: {args.data} with {given[0]}"
        )
    data = load_data(args.data, args.target)
    _validate.check_targets(data["y"], args.task, length=len(data["x"]))
    kwargs = {"task": args.task, "class_names": data["class_names"]}
    if "x_test" in data:
        kwargs.update(x_test=data["x_test"], y_test=data["y_test"])
    return data["x"], data["y"], kwargs


def _table_kwargs(args, table):
    data = load_data(args.data, args.target, **table)
    problems = data["problems"]
    text_target = data.get("class_names") is not None
    if not problems and not (args.task == "regression" and text_target):
        _validate.check_targets(data["y"], args.task, length=len(data["y"]))
    if "frame" in data:
        import_keras_quietly()
        from recipes.models.tabular import column_problems

        features = data["frame"][data["features"]]
        problems += column_problems(features, categorical=data["categorical"])
        if args.task == "regression" and data["class_names"] is not None:
            problems.append(
                f"--task regression needs a numeric target, but {args.target!r} "
                "holds text."
            )
    if problems:
        n = len(problems)
        raise BadInput(
            f"{args.data}: {n} problem(s): "
            + " ".join(problems)
            + f" Received: {args.data}"
        )
    for note in data["notes"]:
        print(f"note: {note}", file=sys.stderr)
    import_keras_quietly()
    from recipes.models.tabular import TablePreprocessor

    kwargs = {
        "task": args.task,
        "class_names": data["class_names"],
        "table": TablePreprocessor(
            categorical=data["categorical"], id_column=args.id_column, drop=data["drop"]
        ),
        "target_name": args.target,
    }
    return data["frame"], data["y"], kwargs


def _predict(args):
    from recipes._data_files import read_frame
    from recipes.models.loading import load_model, predict_table

    for path, kind in ((args.model, "MODEL"), (args.data, "DATA")):
        if not os.path.isfile(path):
            raise BadInput(f"No such file: check the {kind} path. Received: {path}")
    import_keras_quietly()
    model = load_model(args.model)
    if not model.schema:
        raise BadInput(
            f"{args.model} was trained on arrays, not a table, so it has no "
            "columns to match; call model.predict in Python. "
            f"Received: {args.model}"
        )
    frame = read_frame(args.data)
    if not len(frame):
        raise BadInput(f"{args.data} has no data rows. Received: {args.data}")
    preds = predict_table(model, frame)
    if args.output:
        tmp = args.output + ".partial"
        preds.to_csv(tmp, index=False)
        os.replace(tmp, args.output)
        print(f"Wrote {len(preds)} predictions to {args.output}")
    else:
        preds.to_csv(sys.stdout, index=False)
    return 0


def _run(args):
    if args.command == "repair":
        from recipes._cli_repair import run_repair

        return run_repair(args)
    positive(
        args,
        "epochs",
        "batch_size",
        "patience",
        "ensemble",
        "learning_rate",
        "max_trials",
        "trial_epochs",
    )
    check_output_dir(getattr(args, "output_dir", None))
    board = getattr(args, "tensorboard", None)
    if board is not None and os.path.exists(board) and not os.path.isdir(board):
        raise BadInput(
            "--tensorboard takes a folder for the TensorBoard logs, but it is a "
            f"file. Received: --tensorboard {board}"
        )
    if args.command == "demo":
        from recipes import datasets

        import_keras_quietly()
        data = datasets.load("digits")
        return _babysit(
            args,
            data.x_train,
            data.y_train,
            x_test=data.x_test,
            y_test=data.y_test,
            validation_data=data.validation_data,
            class_names=list(data.class_names),
            title="keras-recipes demo: the recipe on digits",
        )
    if args.command == "predict":
        return _predict(args)
    x, y, kwargs = _data_kwargs(args)
    import_keras_quietly()
    name = os.path.basename(args.data)
    if args.command == "check":
        return _check(args, x, y, kwargs)
    if "x_test" not in kwargs:
        kwargs["test_split"] = args.test_split
    if args.command == "tune":
        stage = {"trials": args.max_trials, "epochs": args.trial_epochs}
        search = {"stages": [stage], **({} if args.cv is None else {"cv": args.cv})}
        kwargs["title"] = f"keras-recipes tune: {name}"
        return _babysit(args, x, y, search=search, **kwargs)
    kwargs["title"] = f"keras-recipes fit: {name}"
    return _babysit(args, x, y, **kwargs)


def _check(args, x, y, kwargs):
    from recipes.checks.preflight import preflight
    from recipes.run import _steps as steps

    frame = None
    if steps.is_frame(x):
        x, _, _, frame = steps.frame_rows(x, None, None)
    splits = steps.prepare_data(
        x,
        y,
        x_test=None,
        y_test=None,
        validation_data=None,
        validation_split=0.15,
        test_split=0.0,
        task=kwargs["task"],
        class_names=kwargs["class_names"],
        seed=args.seed,
    )
    if frame is not None:
        splits = steps.encode_frame(
            splits, frame, table=kwargs["table"], target_name=kwargs["target_name"]
        )
    model = steps.default_model(splits, learning_rate=1e-3, seed=args.seed)
    report = preflight(
        model,
        splits.x_train,
        splits.y_train,
        validation_data=(splits.x_val, splits.y_val),
        feature_names=None if splits.table is None else splits.table.encoded_names,
    )
    print(report)
    errors = [f for f in report.findings if f.severity == "error"]
    if args.strict and errors:
        print(
            f"keras-recipes: error: {len(errors)} pre-flight error finding(s) "
            "and --strict was given",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv=None):
    """Runs `keras-recipes` with `argv` (default: `sys.argv[1:]`).

    Args:
        argv: Command-line arguments, without the program name. Defaults to
            `None` (`sys.argv[1:]`).

    Returns:
        The exit status: 0 success, 1 an error finding under `--strict`,
        2 bad input.

    Example:

    >>> from recipes.cli import main
    >>> main(["demo", "--epochs", "5", "--output-dir", "runs/demo"])  # doctest: +SKIP
    0
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2), already printed
        return e.code if isinstance(e.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _run(args)
    except (ValueError, TypeError, OSError) as e:
        message = as_flags(one_line(e), parser)
        print(f"keras-recipes {args.command}: error: {message}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        from recipes.run.errors import PreflightError

        if not isinstance(e, PreflightError):
            raise
        for finding in e.findings:
            print(f"  {finding}")
        checks = ", ".join(sorted({f.check for f in e.findings}))
        print(
            f"keras-recipes {args.command}: error: {len(e.findings)} error "
            f"finding(s) before training ({checks}) and --strict was given: "
            "stopped before training, no run folder written",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("keras-recipes: interrupted; no run folder was finished", file=sys.stderr)
        return 130
