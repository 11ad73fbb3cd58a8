"""Reading the PyTorch major.minor out of requirement specifiers (pip, PEP 508, conda).

Only a specifier that pins one major.minor counts: `torch==2.8.1`, `torch~=2.8.0`,
`torch>=2.8,<2.9`, `torch==2.8.*`; `torch>=2.8` says nothing certain and gives None.
"""

from __future__ import annotations

import re

TORCH_NAMES = frozenset({"torch", "pytorch"})
_REQUIREMENT = re.compile(
    r"^\s*(?:[\w.-]+::)?(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;#@]*)", re.ASCII
)
# ASCII digits, as PEP 440
_CLAUSE = re.compile(r"^\s*(===|==|~=|!=|>=|<=|>|<|=)?\s*v?(\d+(?:\.\d+)*)(\.\*)?", re.ASCII)
MAX_DIGITS = 9  # per version number; longer ones are no release (and Python refuses int() past 4,300)


def torch_requirement(line: str, *, conda: bool = False) -> tuple[str, str | None] | None:
    """For a line naming torch: (the specifier text, "X.Y" or None). Other lines: None."""
    match = _REQUIREMENT.match(line)
    if match is None or match["name"].lower() not in TORCH_NAMES:
        return None
    spec = match["spec"].strip()
    if conda and spec.startswith("=") and not spec.startswith("=="):
        spec = "=" + spec[1:].split("=", 1)[0]  # conda's `=2.8.1=<build string>`
    return f"{match['name']}{spec}", pinned_minor(spec, conda=conda)


_WHEEL = re.compile(r"(?:^|[/\s=@])(?:py)?torch-(\d{1,9})\.(\d{1,9})[^/\s]*\.(?:whl|tar\.gz|zip)\b", re.ASCII | re.I)


def torch_wheel(line: str) -> tuple[str, str | None] | None:
    """A line that installs torch from a file or URL (`https://.../torch-2.9.0%2Bcpu-...whl`):
    (the file name, "X.Y" from it). Other lines: None."""
    match = _WHEEL.search(line)
    if match is None:
        return None
    return match[0].lstrip("/ =@"), f"{int(match[1])}.{int(match[2])}"


def pinned_minor(spec: str, *, conda: bool = False) -> str | None:
    """The one major.minor a comma-separated specifier allows, or None."""
    if "|" in spec:  # conda's "or" (`2.8.*|2.9.*`): the solver picks
        return None
    low: tuple[int, ...] | None = None
    high: tuple[int, ...] | None = None  # exclusive upper bound
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        match = _CLAUSE.match(clause)
        if match is None or any(len(n) > MAX_DIGITS for n in match[2].split(".")) or "!" in clause:
            return None  # an epoch (`2!0`) orders before every plain version: nothing certain
        if clause[match.end():].strip() and match[1] not in ("==", "===", "=", None):
            return None  # a bound with a pre-, post- or local part (`<2.9.post1`) admits its own minor
        op, version, wildcard = match[1] or ("=" if conda else ""), _numbers(match[2]), match[3]
        if op in ("==", "===", "=") and (wildcard or op == "=" or len(version) >= 2):
            exact = version[:2] if len(version) >= 2 else None
            return _format(exact) if exact else None
        if op == "~=" and len(version) >= 3:
            return _format(version[:2])
        if op == "~=" and len(version) == 2:
            low, high = version, (version[0] + 1,)
        elif op in (">=", ">"):
            low = max(low or version, version)
        elif op == "<":
            high = min(high or version, version)
        elif op == "<=":
            bump = (*version[:-1], version[-1] + 1)
            high = min(high or bump, bump)
    if low is None or high is None or len(low) < 2:
        return None
    return _format(low[:2]) if _pad(high) <= _pad((low[0], low[1] + 1)) else None


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split("."))


def _pad(version: tuple[int, ...]) -> tuple[int, ...]:
    return version + (0,) * (4 - len(version))


def _format(version: tuple[int, ...]) -> str:
    return f"{version[0]}.{version[1]}"
