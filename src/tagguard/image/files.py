"""Reading the training image's PyTorch version from the files a repository declares it in.

Each reader takes a file's text and returns a `Reading`: where it looked, what it found,
and the "X.Y" version or the reason there is none. Readers never guess.
"""

from __future__ import annotations

import json
import os
import re

from tagguard.image import dockerfile as dockerparse
from tagguard.image.reference import is_ngc, ngc_release, pytorch_from_ref
from tagguard.image.torchpins import torch_requirement, torch_wheel
from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Callable


DEFAULT_CANDIDATES = (
    "Dockerfile",
    "Containerfile",
    "requirements.txt",
    "pyproject.toml",
    "environment.yml",
    ".devcontainer/devcontainer.json",
)


class Reading(NamedTuple):
    path: str
    line: int | None  # 1-based line of what was found
    found: str  # the text that decided, e.g. "FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"
    version: str | None
    problem: str | None = None  # why there is no version
    follow: str | None = None  # another file to read instead (a devcontainer's Dockerfile)

    @property
    def where(self) -> str:
        """`Dockerfile:3`, or the path alone when no line decided."""
        return f"{self.path}:{self.line}" if self.line else self.path


if TYPE_CHECKING:
    Reader = Callable[[str, str, Mapping[str, str]], Reading]
_ASCII_CONTROLS = frozenset(map(chr, [*range(32), 127]))  # never in a path git reads (`rev:path` is one line)


def reader_for(path: str) -> Reader | None:
    """The reader for a file, by its name; None for a kind tagguard does not read."""
    base = os.path.basename(path).lower()
    if base.startswith(("dockerfile", "containerfile")) or base.endswith((".dockerfile", ".containerfile")):
        return read_dockerfile
    if base.endswith(".txt") and base.startswith(("requirements", "constraints")):
        return read_requirements
    if base == "pyproject.toml":
        return read_pyproject
    if base.endswith((".yml", ".yaml")) and ("environment" in base or "conda" in base):
        return read_conda
    if base in ("devcontainer.json", ".devcontainer.json"):
        return read_devcontainer
    return None


def _none(path: str, problem: str, line: int | None = None, found: str = "") -> Reading:
    return Reading(path, line, found, None, problem)


# --- requirements.txt, environment.yml, pyproject.toml ----------------------------------


def read_requirements(path: str, text: str, ngc: Mapping[str, str]) -> Reading:
    """pip's requirements format, split into lines where pip splits them (`\\r`, `\\f` and
    the other separators of `str.splitlines` too); a line ending in `\\` goes on with the
    next, unless it holds a comment (pip joins them before anything else, so a pin continued
    from an option line is no pin)."""
    lines = text.splitlines()
    pieces: list[list[str]] = [[] for _ in lines]  # each logical line kept at its first physical line
    start = 0
    for number, line in enumerate(lines):
        goes_on = line.endswith("\\") and not _PIP_COMMENT.search(line)
        pieces[start].append(line[:-1] if goes_on else line)
        if not goes_on:
            start = number + 1
    return _torch_pin(path, ["".join(piece) for piece in pieces], conda=False)


def read_conda(path: str, text: str, ngc: Mapping[str, str]) -> Reading:
    """conda environment files: under `dependencies:`, `- pytorch=2.8.1=...` or, under
    `- pip:`, `- torch==2.8.1`. List items under any other key are not dependencies."""
    if any(c in text for c in _OTHER_BREAKS):
        return _none(path, "has line breaks other than newlines (YAML reads lines there too)")
    entries, key = [], ""
    for number, line in enumerate(text.split("\n"), 1):
        item = _YAML_COMMENT.sub("", line).rstrip()
        if _spans_lines(item):
            return _none(path, "has YAML that tagguard's reader does not follow (a block or quoted text or "
                               "brackets going on past the line); write dependencies as `- name=version`",
                         number, shown(item.strip(), 80))
        if item and not item[0].isspace() and not item.startswith("-"):
            key = item.split(":", 1)[0].strip()
        stripped = item.strip()
        entry = stripped[1:].strip() if key == "dependencies" and stripped.startswith("-") else ""
        entries.append(entry[1:-1] if len(entry) > 1 and entry[0] == entry[-1] and entry[0] in "'\"" else entry)
    return _torch_pin(path, entries, conda=True)


_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_YAML_COMMENT = re.compile(r"(^|\s)#.*$")
_BLOCK_SCALAR = re.compile(r"(^|[:-])\s*[|>][-+0-9]*$")


def _spans_lines(item: str) -> bool:
    """Whether a line of YAML opens something the next lines belong to: a block scalar
    (`key: |`), or quotes or brackets it does not close."""
    return bool(_BLOCK_SCALAR.search(item)) or item.count('"') % 2 == 1 or item.count("'") % 2 == 1 \
        or item.count("[") != item.count("]") or item.count("{") != item.count("}")


_PIP_COMMENT = re.compile(r"(^|\s)#.*$")


def _torch_pin(path: str, lines: list[str], *, conda: bool) -> Reading:
    """The one PyTorch major.minor the torch requirements among `lines` pin. Where they pin
    more than one (environment markers, or a later line, decide which pip installs), there is
    no answer: tagguard never guesses."""
    found: list[tuple[int, str, str]] = []
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith(("#", "-")):
            continue
        requirement = torch_requirement(line, conda=conda) or torch_wheel(line)
        if requirement is None:
            continue
        spec, version = requirement
        if ";" in _PIP_COMMENT.sub("", line):
            return _none(path, f"'{shown(line.strip(), 80)}' has an environment marker, which decides whether it "
                               "applies; tagguard can't evaluate markers: pin torch without one", number, spec)
        if version is None:
            return _none(path, f"'{spec}' does not pin one PyTorch major.minor", number, spec)
        found.append((number, spec, version))
    if not found:
        return _none(path, "names no torch requirement")
    number, spec, version = found[0]
    other = next((f for f in found if f[2] != version), None)
    if other is not None:
        return _none(path, f"pins torch twice, to {version} and to {other[2]} (line {other[0]}: '{other[1]}')",
                     number, spec)
    return Reading(path, number, spec, version)


def read_pyproject(path: str, text: str, ngc: Mapping[str, str]) -> Reading:
    from tagguard.toml import parse_toml

    try:
        document = parse_toml(text)
    except ValueError as exc:  # invalid, or nested too deeply
        return _none(path, f"not valid TOML ({exc})")
    requirements = _project_requirements(document.get("project", {}))
    if isinstance(requirements, str):
        return _none(path, requirements)
    reading = _torch_pin(path, requirements, conda=False)
    if reading.line is None:
        return reading
    return reading._replace(line=_line_of(text, requirements[reading.line - 1]))


def _project_requirements(project: object) -> list[str] | str:
    """[project] dependencies then every optional-dependencies list, or why the table is not
    the standard layout (a string)."""
    if not isinstance(project, dict):
        return "has a 'project' key that is not a table"
    lists = [("dependencies", project.get("dependencies", []))]
    extras = project.get("optional-dependencies", {})
    if not isinstance(extras, dict):
        return "has [project] optional-dependencies that is not a table"
    lists += [(f"optional-dependencies.{shown(name)}", value) for name, value in extras.items()]
    requirements: list[str] = []
    for key, value in lists:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return f"has [project] {key} that is not an array of strings"
        requirements += value
    return requirements


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


# --- devcontainer.json -------------------------------------------------------------------


def read_devcontainer(path: str, text: str, ngc: Mapping[str, str]) -> Reading:
    try:
        config = json.loads(strip_json_comments(text))
    except ValueError as exc:
        return _none(path, f"not valid JSON ({exc})")
    except RecursionError:
        return _none(path, "not valid JSON (nested too deeply)")
    if not isinstance(config, dict):
        return _none(path, "is not a JSON object")
    build = config.get("build")
    if isinstance(build, dict) and "dockerfile" in build:
        dockerfile = build.get("dockerfile")
    else:
        dockerfile = config.get("dockerFile")
    if isinstance(dockerfile, str) and not _ASCII_CONTROLS.isdisjoint(dockerfile):
        return _none(path, "names a Dockerfile whose path holds control characters")
    if isinstance(dockerfile, str):  # built even when "image" is set too (then only the built image's name)
        target = os.path.normpath(os.path.join(os.path.dirname(path), dockerfile))
        return Reading(path, _line_of(text, dockerfile), f'"dockerfile": "{dockerfile}"', None, None, target)
    image = config.get("image")
    if isinstance(image, str):
        return _from_ref(path, _line_of(text, image), f'"image": "{image}"', image, ngc)
    return _none(path, "has neither \"image\" nor \"build.dockerfile\"")


def strip_json_comments(text: str) -> str:
    """JSON with comments (devcontainer.json allows them) to plain JSON."""
    out, i, in_string = [], 0, False
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[i + 1 : i + 2])
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        else:
            out.append(char)
        i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))  # trailing commas


def _from_ref(path: str, line: int | None, found: str, ref: str, ngc: Mapping[str, str]) -> Reading:
    version = pytorch_from_ref(ref, ngc)
    if version is None and is_ngc(ref):
        release = ngc_release(ref)
        problem = (f"NGC image '{ref}' names release {release}, not a PyTorch version; "
                   f"map it in the policy: [image.ngc] \"{release}\" = \"X.Y\"")
        return _none(path, problem, line, found)
    if version is None:
        return _none(path, f"can't read a PyTorch version from image '{ref}'", line, found)
    return Reading(path, line, found, version)


# --- Dockerfile / Containerfile (read as BuildKit reads it: see dockerparse.py) -----------


def read_dockerfile(path: str, text: str, ngc: Mapping[str, str]) -> Reading:
    """The torch of the stage built last. An install in the RUN lines of it or the stages it is
    built on replaces the image's torch, so the last one decides; with none, its FROM image."""
    try:
        stages = dockerparse.stages(text)
    except dockerparse.DockerfileError as exc:
        return _none(path, exc.message, exc.line, exc.found)
    if not stages:
        return _none(path, "has no FROM line")
    chain = _stage_chain(stages)
    last: Reading | None = None
    for stage in reversed(chain):  # in build order
        for number, run in stage.runs:
            for word in _install_words(run):
                last = _installed(path, stage, number, run, word) or last
    return last or _from_ref(path, chain[-1].line, chain[-1].text, chain[-1].base, ngc)


_INSTALLS = re.compile(r"\b(?:pip[0-9.]*|conda|mamba|micromamba|uv|poetry|pipx|easy_install)\b")
_TORCH_WORD = re.compile(r"(?:py)?torch(?:\[[^\]]*\])?(?:[=<>~!;@ ]|$)", re.I)
_VALUE_OPTIONS = frozenset({"-c", "--channel", "-n", "--name", "-p", "--prefix", "-r", "--requirement",
                            "--constraint", "-e", "--editable"})  # their value is no package
_UNSET = re.compile(r"\$\{?(\w+)")


def _installed(path: str, stage: dockerparse.Stage, number: int, run: str, word: str) -> Reading | None:
    """What one word of a RUN says about the torch it installs: a version, why none, or None
    for a word about something else."""
    found = torch_requirement(word) or torch_wheel(word)
    if found is not None and found[1] is not None:
        return Reading(path, number, found[0], found[1])
    if found is None and not (_INSTALLS.search(run) and _TORCH_WORD.match(word)):
        return None
    unset = _UNSET.search(word)
    what = f"which torch line {number} installs ('{shown(word, 80)}')"
    if unset is not None and unset[1] in stage.blank:
        return _none(path, dockerparse.blank_arg(unset[1], stage.blank[unset[1]], what), number, shown(run, 80))
    if unset is not None:
        return _none(path, f"${unset[1]} is set by no ARG or ENV of the stage (it may come from the base image), so "
                           f"tagguard can't tell {what}; set it with ARG {unset[1]}=... in the stage", number,
                     shown(run, 80))
    if not _INSTALLS.search(run):
        return None
    return _none(path, f"installs torch ('{shown(word, 80)}') without a version tagguard can read; "
                       "pin it: torch==X.Y.Z", number, shown(run, 80))


def _install_words(run: str) -> list[str]:
    """A RUN's words, less the values of options that name no package (`-c pytorch`)."""
    words = _shell_words(run)
    return [w for i, w in enumerate(words) if i == 0 or words[i - 1] not in _VALUE_OPTIONS]


def _shell_words(run: str) -> list[str]:
    """A RUN command's words as the shell hands them to pip: quoted parts kept together,
    quotes and backslashes gone (`torch\\==2.9` and `"torch"==2.9` both reach pip as
    `torch==2.9`; `'import torch'` stays one word)."""
    import shlex

    try:
        return shlex.split(run)
    except ValueError:  # unbalanced quotes: no shell would run it; read the words bare
        return [word.replace('"', "").replace("'", "").replace("\\", "") for word in run.split()]


def _stage_chain(stages: list[dockerparse.Stage]) -> list[dockerparse.Stage]:
    """The last stage, then the earlier stage its FROM names, and so on."""
    chain = [stages[-1]]
    while chain[-1].parent is not None:
        chain.append(stages[chain[-1].parent])
    return chain
