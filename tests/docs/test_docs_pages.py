"""The README is a front door; the docs pages hold what it used to.

These are the assertions of the old tests/test_readme.py, moved to the pages
that now hold the content, and the docs' own promises: a page per check, the
verdict's ranking as the code ranks, no pasted TensorFlow log lines.
"""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def _pages():
    return [README, *sorted(DOCS.rglob("*.md"))]


def test_readme_is_a_front_door():
    text = README.read_text()
    assert len(text.splitlines()) <= 200
    for command in (
        'pip install -e ".[dev]"',
        "keras-recipes demo",
        "python -m pytest",
    ):
        assert command in text
    assert (DOCS / "screenshot_site.png").exists()
    assert "docs/screenshot_site.png" in text


def test_readme_links_resolve():
    text = README.read_text()
    targets = re.findall(r"\]\(((?:docs/)[^)#]+)", text)
    assert targets, "the README links into the docs"
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert missing == []


def test_recipe_page_has_the_recommendations_table():
    import recipes
    from recipes.advice import recommendations_markdown

    page = (DOCS / "explanation" / "recipe.md").read_text()
    assert recommendations_markdown() in page
    assert len(recipes.recommendations()) >= 6


def test_every_check_has_its_page():
    from callbacks.babysitter import CHECKS as TRAINING
    from recipes.checks.preflight import CHECKS as PREFLIGHT

    index = (DOCS / "checks" / "index.md").read_text()
    for name in {*TRAINING, *PREFLIGHT}:
        page = DOCS / "checks" / f"{name}.md"
        assert page.exists(), f"no page for the check {name!r}"
        assert page.read_text().startswith(f"# `{name}`")
        assert f"({name}.md)" in index


def test_verdict_page_ranks_as_the_code_does():
    from callbacks.diagnosis import _RANK

    text = (DOCS / "explanation" / "verdict.md").read_text()
    marker = "<!-- the ranking, tested against callbacks.diagnosis._RANK -->\n"
    ranking = text.split(marker, 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"`(\w+)`", ranking) == list(_RANK)


def test_repair_page_lists_the_fixes_as_the_code_orders_them():
    from recipes.repair.candidates import BY_CAUSE

    text = (DOCS / "how-to" / "repair.md").read_text()
    marker = "<!-- the table, tested against recipes.repair.candidates.BY_CAUSE -->\n"
    table = text.split(marker, 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    listed = {
        re.findall(r"`(\w+)`", row)[0]: re.findall(r"`(\w+)`", row)[1:] for row in table
    }
    assert listed == {
        cause: list(dict.fromkeys(f.name for f in fixes))
        for cause, fixes in BY_CAUSE.items()
    }


def test_no_pasted_tensorflow_log_lines():
    # Outputs are pasted from real runs; TensorFlow's C++ log lines
    # ("E0000 00:00:... cuInit") must not come along.
    pasted = [
        f"{page.relative_to(ROOT)}: {line}"
        for page in _pages()
        for line in page.read_text().splitlines()
        if re.match(r"^[EIWF]\d{4} \d\d:\d\d:", line)
    ]
    assert pasted == []


def test_cli_reference_is_generated_from_the_parser():
    import argparse
    import importlib.util

    from recipes._cli_parser import build_parser

    spec = importlib.util.spec_from_file_location("hooks", DOCS / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = (DOCS / "reference" / "cli.md").read_text()
    assert hooks.MARKER in page
    text = hooks.on_page_markdown(page, None, None, None)
    assert hooks.MARKER not in text
    parser = build_parser()
    commands = next(
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    for name, sub in commands.choices.items():
        assert f"## `keras-recipes {name}`" in text
        for action in sub._actions:
            for flag in action.option_strings:
                assert flag in text, (name, flag)
