"""The output layer's one `--format` dispatch and its one way to write times."""

from __future__ import annotations

import io
import json
import re
from typing import TYPE_CHECKING

import pytest

from tagguard.output.dates import to_minute, utc_now
from tagguard.output.report import any_errors, print_results
from tagguard.rules.catalog import WARN
from tagguard.rules.violations import lightweight_tag, temporary_tag

if TYPE_CHECKING:
    from tagguard.output.report import Format

RESULTS = {
    "v2.8-ft": [lightweight_tag("v2.8-ft", "1a2b3c4d5e6f" + "0" * 28)],
    "tmp-x": [temporary_tag("tmp-x", "tmp-*")._replace(severity=WARN)],
    "v2.8-base": [],
}


def printed(format: Format, *, show_ok: bool = True) -> str:
    out = io.StringIO()
    print_results(RESULTS, format, "policy.toml", out, show_ok=show_ok)
    return out.getvalue()


def test_text_with_and_without_ok_lines() -> None:
    assert printed("text").splitlines()[::2] == [
        "v2.8-ft: TG301 is a lightweight tag; the policy requires annotated tags",
        "tmp-x: TG104 (warning) is a temporary tag (matches 'tmp-*') and must not be published",
        "v2.8-base: ok",
    ]
    assert "v2.8-base: ok" not in printed("text", show_ok=False)


def test_json_and_github() -> None:
    document = json.loads(printed("json"))
    assert (document["policy"], document["ok"]) == ("policy.toml", False)
    refs = [(r["ref"], r["ok"]) for r in document["results"]]
    assert refs == [("v2.8-ft", False), ("tmp-x", True), ("v2.8-base", True)]
    lines = printed("github").splitlines()
    assert lines[0].startswith("::error title=TG301 lightweight-tag%3A v2.8-ft::v2.8-ft is a lightweight tag")
    assert lines[1].startswith("::warning title=TG104 temporary-tag%3A tmp-x::")
    assert lines[2] == "v2.8-base: ok"


@pytest.mark.parametrize(("results", "failed"), [(RESULTS, True), ({"tmp-x": RESULTS["tmp-x"]}, False), ({}, False)])
def test_only_errors_fail(results: dict, failed: bool) -> None:
    assert any_errors(results) is failed


def test_times() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_now())
    assert to_minute("2026-01-02T03:04:05+01:00") == "2026-01-02 03:04"
