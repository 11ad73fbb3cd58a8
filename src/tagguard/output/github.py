"""GitHub Actions annotations: `::error title=...::message` lines that show on the run page."""

from __future__ import annotations

from tagguard.lean import TYPE_CHECKING
from tagguard.rules.catalog import ERROR, Violation
from tagguard.safetext import shown

if TYPE_CHECKING:
    from typing import TextIO


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(violation: Violation) -> str:
    level = "error" if violation.severity == ERROR else "warning"
    title = _property(f"{violation.code} {violation.rule.name}: {shown(violation.ref)}")
    message = f"{shown(violation.ref)} {violation.message}"
    if violation.hint:
        message += f"\n{violation.hint}"
    return f"::{level} title={title}::{_data(message)}"


def print_github(results: dict[str, list[Violation]], out: TextIO) -> None:
    for name, violations in results.items():
        if not violations:
            print(f"{shown(name)}: ok", file=out)
        for violation in violations:
            print(annotation(violation), file=out)
