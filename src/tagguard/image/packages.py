"""The torch pin in the files Python packages are listed in: pip's requirements (with the files
they include), conda environments, pyproject.toml (PEP 621, PEP 735, uv, Poetry) and lock
files (uv.lock, poetry.lock)."""

from __future__ import annotations

import os
import re

from tagguard.image import yamlish
from tagguard.image.reading import MAX_TORCH_ENTRIES, Entry, Reading, no_version, torch_pin, torch_spec
from tagguard.image.torchpins import TORCH_NAMES
from tagguard.lean import TYPE_CHECKING
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tagguard.image.reading import Load


# --- requirements.txt and the files it includes ------------------------------------------

MAX_INCLUDE_DEPTH = 8
MAX_INCLUDED_FILES = 32
_COMMENT = re.compile(r"(^|\s)#.*$")
_INCLUDE = re.compile(r"(-r|--requirement|-c|--constraint)(?:[ \t]*=?[ \t]*)(\S+)")
_CONTROLS = frozenset(map(chr, [*range(32), 127]))


def read_requirements(path: str, text: str, ngc: Mapping[str, str], load: Load | None = None) -> Reading:
    """pip's requirements format, and the files it includes (`-r`, `-c`) from the same commit,
    their paths relative to the including file, as pip reads them."""
    entries = _Requirements(load)
    problem = entries.read(path, text, constraint=False, chain=(path,))
    return _via(path, problem or torch_pin(path, entries.found))


def _via(path: str, reading: Reading) -> Reading:
    """A reading from a file that `path` includes, saying so."""
    if reading.path == path:
        return reading
    return reading._replace(found=f"{reading.found} (via {path})" if reading.found else f"(via {path})")


class _Requirements:
    """The requirements of a file and of the files it includes, read in pip's order."""

    def __init__(self, load: Load | None) -> None:
        self.load = load
        self.found: list[Entry] = []
        self.files = 0

    def read(self, path: str, text: str, *, constraint: bool, chain: tuple[str, ...]) -> Reading | None:
        """The entries of one file into `found`, then of the files it includes; or a problem."""
        for number, line in _logical_lines(text):
            problem = self.line(path, number, line, constraint=constraint, chain=chain)
            if problem is not None:
                return problem
        return None

    def line(self, path: str, number: int, line: str, *, constraint: bool, chain: tuple[str, ...]) -> Reading | None:
        """One requirement line into `found`, or the file it includes; or a problem."""
        stripped = line.strip()
        if _INCLUDE.match(stripped):
            return self._include(path, number, _COMMENT.sub("", stripped), constraint, chain)
        if not stripped.startswith(("#", "-")):
            if "${" in stripped and torch_spec(stripped) is not None:  # pip fills ${VAR} in from its environment
                return no_version(path, f"pins torch with a variable pip fills in where it runs "
                                  f"('{shown(stripped, 80)}'); write the version itself", number, shown(line, 80))
            self.found.append(Entry(path, number, line, constraint=constraint))
        return None

    def _include(self, path: str, number: int, line: str, constraint: bool, chain: tuple[str, ...]
                 ) -> Reading | None:
        match = _INCLUDE.match(line)
        assert match is not None
        target, shown_line = match[2], shown(line, 80)

        def refuse(why: str) -> Reading:
            return no_version(path, f"includes {shown(target, 80)}, {why}", number, shown_line)

        if "://" in target:
            return refuse("from a URL, which tagguard does not fetch; list torch in a file of the repository")
        if not _CONTROLS.isdisjoint(target) or target.startswith("/"):
            return refuse("which is no path inside the repository")
        resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
        if resolved.startswith(".."):
            return refuse("which is outside the repository")
        if resolved in chain:
            return refuse(f"which includes this file again ({' -> '.join(chain)} -> {resolved}): pip never ends")
        if len(chain) > MAX_INCLUDE_DEPTH or self.files >= MAX_INCLUDED_FILES:
            return refuse(f"past what tagguard follows ({MAX_INCLUDE_DEPTH} levels, {MAX_INCLUDED_FILES} files)")
        if self.load is None:
            return refuse("and tagguard reads no other file here")
        blob = self.load(resolved)
        self.files += 1
        if blob is None:
            return refuse("which does not exist at this commit")
        if isinstance(blob, str):
            return refuse(f"which {blob}")
        also_constraint = constraint or match[1] in ("-c", "--constraint")
        return self.read(resolved, blob.decode("utf-8", "replace"), constraint=also_constraint,
                         chain=(*chain, resolved))


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines where pip splits them (`\\r`, `\\f` and the other separators of `str.splitlines`
    too); a line ending in `\\` goes on with the next, unless it holds a comment (pip joins them
    before anything else, so a pin continued from an option line is no pin). Each logical line
    is numbered by its first physical line."""
    result: list[tuple[int, str]] = []
    pieces: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        goes_on = line.endswith("\\") and not _COMMENT.search(line)
        if not pieces:
            result.append((number, ""))
        pieces.append(line[:-1] if goes_on else line)
        if not goes_on:
            result[-1] = (result[-1][0], "".join(pieces))
            pieces = []
    if pieces:
        result[-1] = (result[-1][0], "".join(pieces))
    return result


# --- environment.yml ---------------------------------------------------------------------


def read_conda(path: str, text: str, ngc: Mapping[str, str], load: Load | None = None) -> Reading:
    """conda environment files, read by their structure: the match specs of `dependencies`
    and the pip requirements of its `- pip:` list. `channels` and other keys name no package."""
    try:
        document = yamlish.parse(text)
    except yamlish.YamlError as exc:
        return no_version(path, f"{exc.message}: tagguard reads the plain YAML of environment files "
                                "(lists, mappings, quotes on one line)", exc.line)
    if document is None:
        return no_version(path, "names no torch requirement")
    if not isinstance(document, dict):
        return no_version(path, "is not a YAML mapping (name:, channels:, dependencies:)")
    dependencies = document.get("dependencies")
    if dependencies is None or (isinstance(dependencies, yamlish.Scalar) and not dependencies.text):
        return no_version(path, "names no torch requirement")
    if not isinstance(dependencies, list):
        return no_version(path, "has 'dependencies' that is not a list")
    pip = _Requirements(load)  # conda hands its `- pip:` lines to pip as a requirements file
    entries = []
    for item in dependencies:
        if isinstance(item, yamlish.Scalar):
            entries.append(Entry(path, item.line, conda_spec(item.text), conda=True))
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            lines: list[yamlish.Node] = item["pip"]  # type: ignore[assignment]
            for line in (p for p in lines if isinstance(p, yamlish.Scalar)):
                problem = pip.line(path, line.line, line.text, constraint=False, chain=(path,))
                if problem is not None:
                    return _via(path, problem)
    return _via(path, torch_pin(path, entries + pip.found))


_BRACKET_VERSION = re.compile(r"\bversion\s*=\s*['\"]?([^'\"\]]*)")


def conda_spec(text: str) -> str:
    """A conda match spec as `name<version spec>`: the channel and build string dropped
    (`pytorch::pytorch 2.8.* cuda*` -> `pytorch=2.8.*`, `pytorch[version='>=2.8,<2.9']` ->
    `pytorch>=2.8,<2.9`)."""
    spec = text.strip().rpartition("::")[2]
    spec, bracket, inside = spec.partition("[")
    version = _BRACKET_VERSION.search(inside) if bracket else None
    if version is None:
        name, _, rest = spec.partition(" ")
        version_text = rest.strip().split(" ", 1)[0]
    else:
        name, version_text = spec.strip(), version[1].strip()
    if version_text:
        return name + (version_text if version_text[:1] in "=<>!~" else "=" + version_text)
    return name


# --- pyproject.toml ------------------------------------------------------------------------


def read_pyproject(path: str, text: str, ngc: Mapping[str, str], load: Load | None = None) -> Reading:
    """`[project]` dependencies and optional ones, `[dependency-groups]`, uv's
    `[tool.uv]` dependency lists and Poetry's `[tool.poetry]` dependencies and groups."""
    from tagguard.toml import parse_toml

    try:
        document = parse_toml(text)
    except ValueError as exc:  # invalid, or nested too deeply
        return no_version(path, f"not valid TOML ({exc})")
    listed, poetry = _pyproject_requirements(document), _poetry_requirements(document)
    if isinstance(listed, str) or isinstance(poetry, str):
        return no_version(path, listed if isinstance(listed, str) else str(poetry))
    listed = [r for r in listed if torch_spec(r) is not None]
    if len(listed) + len(poetry) > MAX_TORCH_ENTRIES:
        return no_version(path, f"names torch more than {MAX_TORCH_ENTRIES} times")
    keys = [number for number, line in enumerate(text.splitlines(), 1) if _POETRY_TORCH.match(line)]
    lines = _lines_of(text, listed) + [keys[i] if i < len(keys) else None for i in range(len(poetry))]
    return torch_pin(path, [Entry(path, line, r) for line, r in zip(lines, [*listed, *poetry])])


_POETRY_TORCH = re.compile(r"""\s*["']?(?:py)?torch["']?\s*=""", re.I)
_REQUIREMENT_LISTS = ("dependencies", "optional-dependencies", "override-dependencies", "constraint-dependencies",
                      "dev-dependencies")


def _lines_of(text: str, needles: list[str]) -> list[int | None]:
    """The line of each needle, the same needle found again further on."""
    after: dict[str, int] = {}
    lines: list[int | None] = []
    for needle in needles:
        at = text.find(needle, after.get(needle, -1) + 1)
        after[needle] = at if at >= 0 else len(text)
        lines.append(text.count("\n", 0, at) + 1 if at >= 0 else None)
    return lines


def _pyproject_requirements(document: Mapping[str, object]) -> list[str] | str:
    """The requirement strings of `[project]`, `[tool.uv]` and `[dependency-groups]`; or why
    a table is not the layout its tool reads (a string)."""
    lists: list[tuple[str, object]] = []
    for where in (("project",), ("tool", "uv")):
        table = _table(document, *where)
        if isinstance(table, str):
            return table
        named = ".".join(where)
        lists += [(f"[{named}] {key}", value) for key, value in table.items()
                  if key in _REQUIREMENT_LISTS and key != "optional-dependencies"]
        extras = _table(table, "optional-dependencies", where=named + ".")
        if isinstance(extras, str):
            return extras
        lists += [(f"[{named}.optional-dependencies] {shown(name)}", value) for name, value in extras.items()]
    groups = _table(document, "dependency-groups")
    if isinstance(groups, str):
        return groups
    lists += [(f"[dependency-groups] {shown(name)}", _strings_only(value)) for name, value in groups.items()]
    requirements: list[str] = []
    for key, value in lists:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return f"has {key} that is not an array of strings"
        requirements += value
    return requirements


def _table(table: Mapping[str, object], *keys: str, where: str = "") -> dict[str, object] | str:
    """`table[keys[0]][keys[1]]...`, {} where absent, or why one is not a table."""
    found: object = table
    for depth, key in enumerate(keys):
        found = found.get(key, {}) if isinstance(found, dict) else found
        if not isinstance(found, dict):
            return f"has a '{where}{'.'.join(keys[: depth + 1])}' key that is not a table"
    return found  # type: ignore[return-value]


def _strings_only(value: object) -> object:
    """A dependency group less its `{include-group = "..."}` tables (the group they name is read too)."""
    return [item for item in value if not isinstance(item, dict)] if isinstance(value, list) else value


def _poetry_requirements(document: Mapping[str, object]) -> list[str] | str:
    """Poetry's torch constraints as PEP 508 requirements: `[tool.poetry.dependencies]`,
    `dev-dependencies` and each `[tool.poetry.group.<name>.dependencies]`."""
    groups = _table(document, "tool", "poetry", "group")
    if isinstance(groups, str):
        return groups
    tables = [_table(document, "tool", "poetry", key) for key in ("dependencies", "dev-dependencies")]
    tables += [_table(groups, name, "dependencies", where="tool.poetry.group.") for name in groups]
    requirements = []
    for table in tables:
        if isinstance(table, str):
            return table
        for name, value in table.items():
            if name.lower() in TORCH_NAMES:
                items = value if isinstance(value, list) else [value]  # several constraints, each with its markers
                requirements += [poetry_requirement(name, item) for item in items]
    return requirements


def poetry_requirement(name: str, value: object) -> str:
    """One Poetry constraint (`"^2.8"`, `{version = "2.8.0", markers = "..."}`) as a PEP 508
    requirement; a condition on it (`markers`, `python`, `platform`) becomes a marker."""
    if not isinstance(value, dict):
        return f"{name}{poetry_version(value)}"
    version = next((value[k] for k in ("url", "path", "file") if isinstance(value.get(k), str)), None)
    text = f"{name} @ {version}" if version is not None else f"{name}{poetry_version(value.get('version'))}"
    conditions = [k for k in ("markers", "python", "platform") if k in value]
    return text + (f"; {', '.join(conditions)}" if conditions else "")


_POETRY_CLAUSE = re.compile(r"(\^|~(?!=))?(\d{1,9}(?:\.\d{1,9})*)(\.\*)?\Z", re.ASCII)


def poetry_version(constraint: object) -> str:
    """A Poetry version constraint as a PEP 440 specifier: `2.8.0` is `==2.8.0`, `^2.8`
    `>=2.8,<3`, `~2.8.1` `>=2.8.1,<2.9`; `*` and what is not text pin nothing."""
    if not isinstance(constraint, str) or "||" in constraint:
        return ""
    clauses = []
    for clause in constraint.replace(",", " ").split():
        match = _POETRY_CLAUSE.match(clause)
        if match is not None and match[1]:
            numbers = [int(n) for n in match[2].split(".")]
            clauses.append(f">={match[2]},<{_poetry_bound(match[1], numbers)}")
        elif match is not None:
            clauses.append("==" + clause)
        elif clause != "*":
            clauses.append(clause)
    return ",".join(clauses)


def _poetry_bound(op: str, numbers: list[int]) -> str:
    """The exclusive upper bound of `^` (the first non-zero number goes up) or `~` (the minor,
    or the major when only it is given)."""
    if op == "~":
        keep = 1 if len(numbers) > 1 else 0
    else:
        keep = next((i for i, n in enumerate(numbers) if n), len(numbers) - 1)
    return ".".join(map(str, [*numbers[:keep], numbers[keep] + 1]))


# --- uv.lock, poetry.lock ------------------------------------------------------------------


def read_lock(path: str, text: str, ngc: Mapping[str, str], load: Load | None = None) -> Reading:
    """The torch version a lock file resolved: `[[package]] name = "torch" version = "..."`.
    A lock that resolved torch twice (for different platforms or Pythons) has no one answer."""
    from tagguard.toml import parse_toml

    try:
        document = parse_toml(text)
    except ValueError as exc:
        return no_version(path, f"not valid TOML ({exc})")
    packages = document.get("package", [])
    if not isinstance(packages, list):
        return no_version(path, "has a 'package' key that is not an array of tables")
    entries = []
    for package in packages:
        if isinstance(package, dict) and str(package.get("name", "")).lower() in TORCH_NAMES:
            version = package.get("version")
            if not isinstance(version, str):
                return no_version(path, "has a torch package with no version")
            entries.append(f"torch=={version}")
    if len(entries) > MAX_TORCH_ENTRIES:
        return no_version(path, f"names torch more than {MAX_TORCH_ENTRIES} times")
    lines = _lines_of(text, ['name = "torch"'] * len(entries))
    return torch_pin(path, [Entry(path, line, e) for line, e in zip(lines, entries)])
