import dataclasses
import json
import math

import pytest

from callbacks import Finding


def test_finding_is_frozen_and_serializes():
    f = Finding(
        "nan_loss",
        "error",
        epoch=1,
        value=math.nan,
        threshold=None,
        message="Loss is NaN.",
        suggestion="Lower the learning rate.",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.severity = "info"
    d = f.to_dict()
    assert d["value"] == "nan"
    json.dumps(d)
    # epoch=1 is Keras' second epoch ("Epoch 2/..." on its progress bar):
    # printed and serialized from 1, like the report and the figures.
    assert d["epoch"] == 2
    assert "[error] nan_loss (epoch 2): Loss is NaN. Fix: Lower" in str(f)
    assert Finding("x", "info").to_dict()["epoch"] is None


def test_finding_rejects_unknown_severity():
    with pytest.raises(ValueError, match="Received: severity='fatal'"):
        Finding("nan_loss", "fatal")


def test_one_severity_order_for_ranks_and_sorting():
    from callbacks.finding import SEVERITIES, severity_rank, worst_first

    assert [severity_rank(s) for s in SEVERITIES] == [0, 1, 2]
    with pytest.raises(ValueError, match="Received: severity='fatal'"):
        severity_rank("fatal")
    pairs = [
        ("training", Finding("a", "info")),
        ("data", Finding("b", "warning")),
        ("training", Finding("c", "error")),
        ("search", Finding("d", "warning")),
    ]
    ordered = worst_first(pairs, key=lambda pair: pair[1])
    # errors first; a stable sort keeps the given order within a severity
    assert [f.check for _, f in ordered] == ["c", "b", "d", "a"]
