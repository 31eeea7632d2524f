import pathlib

import recipes

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_recipe_table_is_recommendations():
    from recipes.advice import recommendations_markdown

    assert recommendations_markdown() in README.read_text()


def test_readme_has_the_three_commands():
    text = README.read_text()
    assert 'pip install -e ".[dev]"' in text
    assert "python -m pytest" in text
    assert len(recipes.recommendations()) >= 6


def test_readme_has_no_pasted_tensorflow_log_lines():
    # Benchmark tables are pasted from script output; TensorFlow's C++ log
    # lines ("E0000 00:00:... cuInit") must not come along.
    import re

    pasted = [
        line
        for line in README.read_text().splitlines()
        if re.match(r"^[EIWF]\d{4} \d\d:\d\d:", line)
    ]
    assert pasted == []
