"""TOML text to a dict, for the policy and for the pyproject.toml an image is read from.

The parser (tomllib, or tomli before Python 3.11) is imported on first use only.
"""

from __future__ import annotations

from tagguard.lean import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


def parse_toml(text: str) -> dict[str, Any]:
    """TOML to a dict; ValueError when invalid, including nesting deeper than Python recurses."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
