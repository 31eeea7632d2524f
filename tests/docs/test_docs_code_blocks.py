"""Every ```python block of the README and the docs runs.

The blocks of one page run in order, in one namespace (a page may build on its
earlier blocks), in a fresh folder. A block that cannot run is marked with
`<!-- no-run: reason -->` on the line before its fence, and the reason is
required. The pages use tiny settings (a few epochs) so this stays quick.
"""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
NO_RUN = re.compile(r"<!--\s*no-run:(.*?)-->\s*$")


def python_blocks(text):
    """`(line, code, no_run_reason)` for each python block of `text`; the
    reason is None for a block that runs, "" for a marker without one."""
    blocks = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = [s for s in text[: match.start()].splitlines() if s.strip()]
        marker = NO_RUN.search(before[-1]) if before else None
        reason = marker.group(1).strip() if marker else None
        blocks.append((line, match.group(1), reason))
    return blocks


def _name(path):
    return str(path.relative_to(ROOT))


def test_blocks_are_found():
    text = (
        "intro\n<!-- no-run: needs a GPU -->\n```python\nx = 1\n```\n\n"
        "```python\ny = 2\n```\n"
    )
    assert python_blocks(text) == [(3, "x = 1\n", "needs a GPU"), (7, "y = 2\n", None)]


def test_no_run_markers_give_a_reason():
    missing = [
        f"{_name(page)}:{line}"
        for page in PAGES
        for line, _, why in python_blocks(page.read_text())
        if why == ""
    ]
    assert missing == [], f"no-run markers without a reason: {missing}"


RUNNABLE = [
    p for p in PAGES if any(w is None for *_, w in python_blocks(p.read_text()))
]


def test_the_docs_have_code_to_run():
    assert ROOT / "README.md" in RUNNABLE
    assert len(RUNNABLE) >= 8


@pytest.mark.parametrize("page", RUNNABLE, ids=_name)
def test_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs__"}
    for line, code, why in python_blocks(page.read_text()):
        if why is not None:
            continue
        exec(compile(code, f"{_name(page)}:{line}", "exec"), namespace)
