"""Every notebook in examples/ runs top to bottom in a fresh kernel (nbclient),
and the results show themselves as HTML there."""

import os
import pathlib
import re

import pytest

nbclient = pytest.importorskip(
    "nbclient", reason="nbclient is not installed (pip install -e '.[dev]')"
)
nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


def _execute(path, folder, monkeypatch):
    """The notebook at `path`, executed with `folder` as its working folder
    and this checkout on the kernel's path."""
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert not any(c.outputs for c in code), f"{path.name} is stored with outputs"
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return code


def _html(cell):
    """The text/html of a cell's result, or None."""
    for out in cell.outputs:
        if out.output_type == "execute_result" and "text/html" in out.data:
            return out.data["text/html"]
    return None


def test_there_is_a_notebook():
    assert "notebook_quickstart.ipynb" in [p.name for p in NOTEBOOKS]


def test_notebook_quickstart_shows_every_result_as_html(tmp_path, monkeypatch):
    cells = _execute(
        ROOT / "examples" / "notebook_quickstart.ipynb", tmp_path, monkeypatch
    )
    shown = {c.source.splitlines()[-1]: _html(c) for c in cells}
    for name in ("report", "lr_test", "bad", "bad.diagnosis", "search", "good"):
        page = shown[name]
        assert page and page.startswith('<div class="keras-recipes">'), name
    # the run that goes wrong: its verdict (red), then the findings, then curves
    bad = shown["bad"]
    assert bad.index('class="verdict bad"') < bad.index("<table>") < bad.index("<img")
    assert 'class="verdict ok"' in shown["good"]
    for name in ("lr_test", "search", "good"):
        assert re.search(r'<img [^>]*src="data:image/png;base64,', shown[name]), name
    # table(): pandas' own HTML, with the findings' columns
    frame = shown['bad.table()[["stage", "severity", "check", "epoch", "message"]]']
    assert 'class="dataframe' in frame and "diverging_loss" in frame
    assert "<th>suggestion</th>" in shown["report.table()"]
