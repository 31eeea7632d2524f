"""Every docstring example in `callbacks/` and `recipes/` runs, as a doctest.

One test per module, found by walking the two packages, so a new module's
examples are run without being listed here. An example that cannot run in
the suite says so with `# doctest: +SKIP` and a reason beside it. Each module
runs in its own empty folder, so an example that writes a file leaves
nothing behind. The callbacks' modules run on every backend (CI runs
`tests/callbacks` and `-k callbacks` of this file on JAX and PyTorch too).
"""

import doctest
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _modules(package):
    """The importable modules of `package`, from its files (importing them
    waits for the test: collecting imports nothing)."""
    names = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] != "__main__":
            names.append(".".join(parts))
    return names


def _run_examples(name, folder, monkeypatch):
    monkeypatch.chdir(folder)
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed"
    return result


@pytest.mark.parametrize("name", _modules("callbacks"))
def test_callbacks_examples_run(name, tmp_path, monkeypatch):
    _run_examples(name, tmp_path, monkeypatch)
    assert not list(tmp_path.iterdir()), f"{name}'s examples left files behind"


@pytest.mark.parametrize("name", _modules("recipes"))
def test_recipes_examples_run(name, tmp_path, monkeypatch):
    _run_examples(name, tmp_path, monkeypatch)
