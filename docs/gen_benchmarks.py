"""Writes every benchmark table of the docs from `benchmarks/results/*.json`.

A page holds a table between two markers, the first naming what to generate:

    <!-- generated: tabular_summary -->
    | data set | ... |
    <!-- /generated -->

`python docs/gen_benchmarks.py` rewrites what lies between the markers of every
page under `docs/`; `--check` changes nothing and exits 1 when a page differs
from its JSON (tests/docs/test_benchmark_pages.py runs the same comparison).
The prose around the tables is written by hand; the tables never are. Each
table is formatted as the benchmark script that wrote its JSON prints it.

The tables live in `docs/_tables_runs.py`, `docs/_tables_search.py` and
`docs/_tables_repair.py`. Needs
only the standard library: no Keras, no benchmark is run.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import _tables_repair as repair  # noqa: E402
import _tables_runs as runs  # noqa: E402
import _tables_search as search  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)(?P<open><!-- generated: (?P<spec>[^>]*?) -->\n)"
    r"(?P<body>.*?)(?P<close>^[ \t]*<!-- /generated -->)",
    re.DOTALL | re.MULTILINE,
)

GENERATORS = {
    name: getattr(module, name)
    for module in (runs, search, repair)
    for name in dir(module)
    if not name.startswith("_")
    and callable(getattr(module, name))
    and getattr(getattr(module, name), "__module__", None) == module.__name__
}


def generate(spec):
    """The markdown for `spec`: a generator's name, then its arguments
    (`name arg key=value ...`)."""
    name, *words = spec.split()
    if name not in GENERATORS:
        raise ValueError(
            f"Unknown generated block {name!r}. Expected one of "
            f"{sorted(GENERATORS)}. Received: spec={spec!r}"
        )
    args = [w for w in words if "=" not in w]
    kwargs = dict(w.split("=", 1) for w in words if "=" in w)
    return GENERATORS[name](*args, **kwargs)


def _block(match):
    indent = match.group("indent")
    body = "".join(
        (indent + line if line else line) + "\n"
        for line in generate(match.group("spec")).splitlines()
    )
    return indent + match.group("open") + body + match.group("close")


def render(text):
    """`text` with every generated block regenerated (indented as its opening
    marker, so a table can sit inside a list item)."""
    return BLOCK.sub(_block, text)


def pages():
    """The docs pages that hold a generated block."""
    return sorted(p for p in DOCS.rglob("*.md") if "<!-- generated:" in p.read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a page is stale"
    )
    args = parser.parse_args(argv)
    stale = []
    for page in pages():
        text = page.read_text()
        new = render(text)
        if new != text:
            stale.append(page.relative_to(ROOT))
            if not args.check:
                page.write_text(new)
    verb = "stale" if args.check else "rewrote"
    for page in stale:
        print(f"{verb}: {page}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
