"""Griffe extension: a Keras-style `Example:` section is an examples section.

The project's docstrings follow Keras: an `Example:` (or `Examples:`) heading
followed by unindented `>>>` lines. Griffe's Google parser reads only an
indented `Examples:` section as doctest examples and would render the rest as
plain text; this rewrites the section on load, so the examples render as code
on the API pages. The docstrings themselves are left as they are.
"""

from __future__ import annotations

import re

import griffe

_HEADING = re.compile(r"^Examples?:\s*$")
_NEXT = re.compile(r"^[A-Z][A-Za-z ]*:\s*$")  # the next section's heading


def keras_examples(text):
    """`text` with its `Example:` sections indented under `Examples:`."""
    lines, out, inside = text.splitlines(), [], False
    for line in lines:
        if _HEADING.match(line):
            out.append("Examples:")
            inside = True
            continue
        if inside and _NEXT.match(line):
            inside = False
        if inside:
            if not out[-1] == "Examples:" or line.strip():
                out.append("    " + line if line.strip() else "")
        else:
            out.append(line)
    return "\n".join(out)


class KerasExamples(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        doc = obj.docstring
        if doc is not None and re.search(r"^Examples?:\s*$", doc.value, re.MULTILINE):
            doc.value = keras_examples(doc.value)
