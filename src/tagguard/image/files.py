"""Reading the training image's PyTorch version from the files a repository declares it in.

Each reader takes a file's text and returns a `Reading`: where it looked, what it found,
and the "X.Y" version or the reason there is none. Readers never guess.
"""

from __future__ import annotations

import json
import os
import re

from tagguard.image import dockerfile as dockerparse
from tagguard.image.packages import read_conda, read_lock, read_pyproject, read_requirements
from tagguard.image.reading import Build, Reading, no_version, torch_spec
from tagguard.image.reference import is_ngc, ngc_release, pytorch_from_ref
from tagguard.lean import TYPE_CHECKING
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tagguard.image.reading import Load, Reader

__all__ = ["DEFAULT_CANDIDATES", "Reading", "read_conda", "read_devcontainer", "read_dockerfile", "read_lock",
           "read_pyproject", "read_requirements", "reader_for"]


DEFAULT_CANDIDATES = (
    "Dockerfile",
    "Containerfile",
    "requirements.txt",
    "pyproject.toml",
    "environment.yml",
    "uv.lock",
    "poetry.lock",
    ".devcontainer/devcontainer.json",
)


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
    if base in ("uv.lock", "poetry.lock"):
        return read_lock
    if base in ("devcontainer.json", ".devcontainer.json"):
        return read_devcontainer
    return None


_DOCKER_BUILD = Build()  # `docker build .`: no build arguments, the last stage

# --- devcontainer.json -------------------------------------------------------------------


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def read_devcontainer(path: str, text: str, ngc: Mapping[str, str], load: Load | None = None) -> Reading:
    try:
        config = json.loads(strip_json_comments(text))
    except ValueError as exc:
        return no_version(path, f"not valid JSON ({exc})")
    except RecursionError:
        return no_version(path, "not valid JSON (nested too deeply)")
    if not isinstance(config, dict):
        return no_version(path, "is not a JSON object")
    build = config.get("build")
    if isinstance(build, dict) and "dockerfile" in build:
        dockerfile = build.get("dockerfile")
    else:
        dockerfile = config.get("dockerFile")
    if isinstance(dockerfile, str) and not _ASCII_CONTROLS.isdisjoint(dockerfile):
        return no_version(path, "names a Dockerfile whose path holds control characters")
    if isinstance(dockerfile, str):  # built even when "image" is set too (then only the built image's name)
        target = os.path.normpath(os.path.join(os.path.dirname(path), dockerfile))
        options = _build_options(build if isinstance(build, dict) else {})
        if isinstance(options, str):
            return no_version(path, options)
        return Reading(path, _line_of(text, dockerfile), f'"dockerfile": "{dockerfile}"', None, None, target, options)
    image = config.get("image")
    if isinstance(image, str):
        return _from_ref(path, _line_of(text, image), f'"image": "{image}"', image, ngc)
    return no_version(path, "has neither \"image\" nor \"build.dockerfile\"")


def _build_options(build: dict[str, object]) -> Build | str:
    """The `args` and `target` a devcontainer builds its Dockerfile with, or what is wrong with them."""
    args, target = build.get("args", {}), build.get("target", "")
    if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
        return "has \"build.args\" that is not an object of strings"
    if not isinstance(target, str):
        return "has \"build.target\" that is not a string"
    return Build(tuple(args.items()), target)


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
        return no_version(path, problem, line, found)
    if version is None:
        return no_version(path, f"can't read a PyTorch version from image '{ref}'", line, found)
    return Reading(path, line, found, version)


# --- Dockerfile / Containerfile (read as BuildKit reads it: see dockerparse.py) -----------


def read_dockerfile(path: str, text: str, ngc: Mapping[str, str], load: Load | None = None,
                    build: Build = _DOCKER_BUILD) -> Reading:
    """The torch of the stage built (the last, or `build.target`). An install in the RUN lines
    of it or the stages it is built on replaces the image's torch, so the last one decides;
    with none, its FROM image."""
    try:
        stages = dockerparse.stages(text, {name: _build_arg(name, value) for name, value in build.args})
    except dockerparse.DockerfileError as exc:
        return no_version(path, exc.message, exc.line, exc.found)
    if not stages:
        return no_version(path, "has no FROM line")
    built = next((i for i, s in enumerate(stages) if s.name == build.target.lower()), None) if build.target else -1
    if built is None:
        return no_version(path, f"is built with the target '{build.target}', which no stage of it is named")
    chain = _stage_chain(stages, built)
    last: Reading | None = None
    for stage in reversed(chain):  # in build order
        for number, run in stage.runs:
            for word in _install_words(run):
                last = _installed(path, stage, number, run, word) or last
    return last or _from_ref(path, chain[-1].line, chain[-1].text, chain[-1].base, ngc)


def _build_arg(name: str, value: str) -> dockerparse.Value:
    """A devcontainer's build argument; `${localEnv:...}` and its other variables are filled in
    on the machine that builds, so their value is not known."""
    if "${" not in value:
        return value
    return dockerparse.Unknown(f"the devcontainer sets ARG {name} to '{value}', which is filled in where it is "
                               "built", "name the version in the policy instead of a file ([image] pytorch = \"X.Y\")")


_TORCH_WORD = re.compile(r"(?:py)?torch(?:\[[^\]]*\])?(?:[=<>~!;@ ]|$)", re.I)
_VALUE_OPTIONS = frozenset({"-c", "--channel", "-n", "--name", "-p", "--prefix", "-r", "--requirement",
                            "--constraint", "-e", "--editable"})  # their value is no package
_UNSET = re.compile(r"\$\{?(\w+)")
_PIP = re.compile(r"pip[0-9.]*")
_PYTHON = re.compile(r"python[0-9.]*")
_CONDAS = frozenset({"conda", "mamba", "micromamba"})
_INSTALLING = frozenset({"install", "create"})  # subcommands that install what they name
_PREFIXES = frozenset({"sudo", "env", "exec", "command", "time", "nice"})  # run the command after them


def _installed(path: str, stage: dockerparse.Stage, number: int, run: str, word: str) -> Reading | None:
    """What one package word of an install in a RUN says about the torch it installs: a
    version, why none, or None for a word about something else."""
    found = torch_spec(word)
    if found is not None and found[1] is not None:
        return Reading(path, number, found[0], found[1])
    if found is None and not _TORCH_WORD.match(word):
        return None
    unset = _UNSET.search(word)
    if unset is not None:
        what = f"which torch line {number} installs ('{shown(word, 80)}')"
        return no_version(path, dockerparse.cannot_tell(_why_unset(stage, unset[1]), what), number, shown(run, 80))
    return no_version(path, f"installs torch ('{shown(word, 80)}') without a version tagguard can read; "
                       "pin it: torch==X.Y.Z", number, shown(run, 80))


def _why_unset(stage: dockerparse.Stage, name: str) -> dockerparse.Unknown:
    """Why a variable in a RUN of `stage` has no value tagguard knows."""
    if name in stage.blank:
        return dockerparse.no_default(name, stage.blank[name])
    return stage.unknown.get(name) or dockerparse.Unknown(
        f"${name} is set by no ARG or ENV of the stage (it may come from the base image)",
        f"set it with ARG {name}=... in the stage")


def _install_words(run: str) -> list[str]:
    """The package words of a RUN's installs (`pip install`, `python -m pip install`, `uv pip
    install`, `conda install` or `create`), less the values of options that name no package
    (`-c pytorch`). Other commands are not installs, whatever their words look like: `echo
    torch==2.8`, `pip download`, `pip uninstall`, a `# comment`."""
    words: list[str] = []
    for command in _commands(run):
        args = _install_args(command)
        words += [w for i, w in enumerate(args) if i == 0 or args[i - 1] not in _VALUE_OPTIONS]
    return words


def _commands(run: str) -> list[list[str]]:
    """A RUN's simple commands: its lines (a heredoc's too) cut at `&&`, `||`, `;`, `|`, `&`
    and redirections, each up to a word that starts a comment."""
    commands: list[list[str]] = [[]]
    for line in run.split("\n"):
        commented = False
        for word in _shell_words(line):
            if word and not word.strip("&|;<>()"):  # an operator: a new command
                commands.append([])
                commented = False
            elif word.startswith("#") or commented:
                commented = True
            else:
                commands[-1].append(word)
        commands.append([])
    return [c for c in commands if c]


def _install_args(command: list[str]) -> list[str]:
    """The words after an installing subcommand, or none when the command installs nothing."""
    start = 0
    while start < len(command) and (command[start] in _PREFIXES or _is_assignment(command[start])):
        start += 1
    words = command[start:]
    program = os.path.basename(words[0]) if words else ""
    if _PYTHON.fullmatch(program) and words[1:3] == ["-m", "pip"]:
        rest = words[3:]
    elif _PIP.fullmatch(program) or program in _CONDAS:
        rest = words[1:]
    elif program == "uv" and words[1:2] == ["pip"]:
        rest = words[2:]
    else:
        return []
    sub = next((i for i, w in enumerate(rest) if not w.startswith("-")), None)
    return rest[sub + 1 :] if sub is not None and rest[sub] in _INSTALLING else []


def _is_assignment(word: str) -> bool:
    name, equals, _ = word.partition("=")
    return bool(equals) and name.isidentifier()


def _shell_words(run: str) -> list[str]:
    """A RUN command's words as the shell hands them to pip: quoted parts kept together,
    quotes and backslashes gone (`torch\\==2.9` and `"torch"==2.9` both reach pip as
    `torch==2.9`; `'import torch'` stays one word), and `&&`, `;`, `|` words of their own."""
    import shlex

    lexer = shlex.shlex(run, posix=True, punctuation_chars=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: no shell would run it; read the words bare
        return [word.replace('"', "").replace("'", "").replace("\\", "") for word in run.split()]


def _stage_chain(stages: list[dockerparse.Stage], built: int) -> list[dockerparse.Stage]:
    """The stage built, then the earlier stage its FROM names, and so on."""
    chain = [stages[built]]
    while chain[-1].parent is not None:
        chain.append(stages[chain[-1].parent])
    return chain
