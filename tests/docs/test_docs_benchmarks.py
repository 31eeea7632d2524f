"""The benchmark tables of the docs are generated from their JSON, never
typed: regenerating every page in memory changes nothing."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_benchmarks", ROOT / "docs" / "gen_benchmarks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _generator()


@pytest.mark.parametrize("page", gen.pages(), ids=lambda p: p.name)
def test_page_agrees_with_its_json(page):
    text = page.read_text()
    assert gen.render(text) == text, (
        f"{page.relative_to(ROOT)} differs from benchmarks/results: run "
        "`python docs/gen_benchmarks.py`"
    )


def test_every_benchmark_page_is_generated_and_says_how_to_run_it():
    pages = {p.name for p in gen.pages()}
    for page in sorted((ROOT / "docs" / "benchmarks").glob("*.md")):
        if page.name == "index.md":
            continue
        assert page.name in pages
        assert "**Run it:**" in page.read_text()


def test_every_generator_is_used():
    used = {
        m.group("spec").split()[0]
        for page in gen.pages()
        for m in gen.BLOCK.finditer(page.read_text())
    }
    assert used == set(gen.GENERATORS)


def test_a_changed_number_is_caught(tmp_path):
    page = next(p for p in gen.pages() if p.name == "random-vs-grid.md")
    text = page.read_text()
    doctored = text.replace("3/5 seeds", "4/5 seeds", 1)
    assert doctored != text
    assert gen.render(doctored) == text


def test_unknown_block_is_an_error():
    with pytest.raises(ValueError, match="Unknown generated block"):
        gen.generate("no_such_table")
