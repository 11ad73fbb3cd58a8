"""`verify-checkpoint`'s findings: a line each for people, one JSON document for programs."""

from __future__ import annotations

from tagguard.lean import TYPE_CHECKING
from tagguard.ml.provenance import KEYS
from tagguard.ml.verification import Checked, failed
from tagguard.safetext import one_line

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO


def _text(checked: list[Checked], out: TextIO, err: TextIO) -> None:
    """Per file: `ok|FAIL|note  code  message` lines, then `PATH: ...`; errors go to `err`."""
    for file in checked:
        if file.error is not None:
            print(f"tagguard: error: {file.error}", file=err)
            continue
        for finding in file.findings:
            print(f"{finding.status:<4}  {finding.code:<17}  {finding.message}", file=out)
        problems = failed(file.findings)
        print(f"{one_line(file.path)}: " + (f"{problems} problem(s)" if problems else "provenance ok"), file=out)


def _json(checked: list[Checked], out: TextIO, err: TextIO) -> None:
    import json

    files = [
        {
            "path": file.path,
            "ok": file.error is None and not failed(file.findings),
            "error": file.error,
            "kind": file.kind,
            "sha256": file.weights.sha256 if file.weights else None,
            "size": file.weights.size if file.weights else None,
            "git_info": {key: file.info.get(key) for key in KEYS} if file.info is not None else None,
            "findings": [finding._asdict() for finding in file.findings],
        }
        for file in checked
    ]
    json.dump({"ok": all(f["ok"] for f in files), "files": files}, out, indent=2)
    out.write("\n")


FORMATS: dict[str, Callable[[list[Checked], TextIO, TextIO], None]] = {"text": _text, "json": _json}
