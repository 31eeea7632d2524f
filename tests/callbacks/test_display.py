"""`Diagnosis` in a notebook, and the HTML pieces every result shares."""

import dataclasses
import html.parser

from callbacks import Diagnosis, Finding, diagnose
from callbacks.display import (
    FINDING_COLUMNS,
    block,
    escape,
    findings_frame,
    verdict,
)


class _Text(html.parser.HTMLParser):
    """The page's text, its tags, and the `<style>` blocks apart."""

    def __init__(self):
        super().__init__()
        self.text, self.tags, self.styles, self._in_style = [], [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


def _parse(page):
    parsed = _Text()
    parsed.feed(page)
    return parsed


def test_diagnosis_shows_its_verdict_then_its_evidence_escaped():
    verdict_ = diagnose(
        [
            Finding("dead_units", "error", epoch=2, layer="dense<1>"),
            Finding(
                "diverging_loss",
                "error",
                epoch=1,
                value=9.0,
                message="The loss rose to 9 <script>x</script> & more.",
                suggestion="Lower the rate.",
            ),
        ]
    )
    page = verdict_._repr_html_()
    assert page.index("Diagnosis: diverging_loss") < page.index("<table>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "dense&lt;1&gt;" in page and "<1>" not in page
    parsed = _parse(page)
    text = " ".join(parsed.text)
    assert "The loss rose to 9 <script>x</script> & more." in text  # as written
    assert parsed.tags.count("tr") == 3  # the header and two findings
    assert 'class="verdict bad"' in page  # an error: red
    # the style is scoped to the display: a notebook's own tables keep theirs
    rules = [r for r in "".join(parsed.styles).split("}") if "{" in r]
    assert rules and all(
        s.strip().startswith(".keras-recipes")
        for r in rules
        for s in r.split("{")[0].split(",")
    )


def test_a_warning_verdict_is_orange_and_none_is_green():
    warned = Diagnosis("stalled_loss", "Flat.", "Raise it.", (Finding("x", "warning"),))
    assert 'class="verdict warn"' in verdict(warned)
    assert 'class="verdict ok"' in verdict(None)
    assert "nothing to fix" in block(verdict(None))


def test_escape_keeps_code_spans_and_escapes_the_rest():
    assert escape("use `clipnorm=1.0` if a < b") == (
        "use <code>clipnorm=1.0</code> if a &lt; b"
    )


def test_findings_frame_has_the_columns_of_findings_json():
    found = [Finding("nan_loss", "error", epoch=0, value=float("nan"))]
    frame = findings_frame(found, ["training"])
    fields = [f.name for f in dataclasses.fields(Finding)]  # check, severity, ...
    assert fields[:2] == ["check", "severity"]
    # severity first, then the check, then the rest in the order of Finding
    assert list(frame.columns) == ["stage", "severity", "check", *fields[2:]]
    assert list(FINDING_COLUMNS) == list(frame.columns)[1:]
    assert frame.iloc[0]["epoch"] == 1  # from 1, as findings.json
    assert frame.iloc[0]["value"] == "nan"
    assert list(findings_frame([]).columns)[0] == "severity"
