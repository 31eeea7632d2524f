"""MkDocs hook: the command-line reference, generated from the parser.

A page holding the line `<!-- cli-reference -->` gets, in its place, the
`--help` of `keras-recipes` and of each command, as `recipes._cli_parser`
prints them (so the page never drifts from the flags).
"""

from __future__ import annotations

import argparse
import contextlib
import os

MARKER = "<!-- cli-reference -->"


@contextlib.contextmanager
def _columns(width):
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def cli_reference():
    """Markdown: the top-level `--help`, then one section per command."""
    from recipes._cli_parser import build_parser

    with _columns(78):  # the width of a code block on the page
        parser = build_parser()
        out = [
            "```text",
            "$ keras-recipes --help",
            parser.format_help().rstrip(),
            "```",
        ]
        commands = next(
            a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
        )
        for name, sub in commands.choices.items():
            out += [
                "",
                f"## `keras-recipes {name}`",
                "",
                "```text",
                f"$ keras-recipes {name} --help",
                sub.format_help().rstrip(),
                "```",
            ]
    return "\n".join(out) + "\n"


def on_page_markdown(markdown, page, config, files):
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference())
    return markdown
