"""Printing verdicts: text for people, JSON for programs, annotations for GitHub Actions."""

from __future__ import annotations

from tagguard.lean import TYPE_CHECKING
from tagguard.rules.catalog import ERROR, Violation
from tagguard.safetext import one_line, shown

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Literal, TextIO

    Format = Literal["text", "json", "github"]


def has_errors(violations: Iterable[Violation]) -> bool:
    return any(v.severity == ERROR for v in violations)


def any_errors(results: Mapping[str, list[Violation]]) -> bool:
    """Whether any ref's violations include an error (not only warnings)."""
    return any(has_errors(v) for v in results.values())


def print_results(
    results: dict[str, list[Violation]], format: Format, origin: str, out: TextIO, *, show_ok: bool = True
) -> None:
    """The verdicts in the `--format` asked for; `origin` is the policy's, `show_ok` (text
    only) prints `NAME: ok` for a ref without problems."""
    if format == "json":
        print_json(results, origin, out)
    elif format == "github":
        from tagguard.output.github import print_github

        print_github(results, out)
    else:
        print_text(results, out, show_ok=show_ok)


def violation_lines(violation: Violation) -> list[str]:
    """`NAME: CODE message` and an indented hint; warnings say so."""
    level = "" if violation.severity == ERROR else " (warning)"
    lines = [f"{shown(violation.ref)}: {violation.code}{level} {one_line(violation.message)}"]
    if violation.hint:
        lines.append(f"    {one_line(violation.hint)}")
    return lines


def print_text(results: dict[str, list[Violation]], out: TextIO, *, show_ok: bool) -> None:
    for name, violations in results.items():
        if not violations and show_ok:
            print(f"{shown(name)}: ok", file=out)
        for violation in violations:
            print("\n".join(violation_lines(violation)), file=out)


def print_json(results: dict[str, list[Violation]], policy_origin: str, out: TextIO) -> None:
    import json

    document = {
        "policy": policy_origin,
        "ok": not any_errors(results),
        "results": [
            {
                "ref": name,
                "ok": not has_errors(violations),
                "violations": [
                    {**v._asdict(), "name": v.rule.name} for v in violations
                ],
            }
            for name, violations in results.items()
        ],
    }
    json.dump(document, out, indent=2)
    out.write("\n")
