"""The package lists an image's torch is read from: conda environments by their structure,
requirements with the files they include, pyproject.toml (PEP 621, PEP 735, uv, Poetry) and
lock files."""

from __future__ import annotations

import time

import pytest

from tagguard.image.files import read_conda, read_lock, read_pyproject, read_requirements, reader_for
from tagguard.image.packages import MAX_INCLUDE_DEPTH, conda_spec, poetry_version
from tagguard.image.yamlish import MAX_DEPTH

# --- conda environment files ---------------------------------------------------------------

CONDA = {
    "channels as a flow list": ("name: train\nchannels: [pytorch, nvidia]\ndependencies:\n  - pytorch=2.8.1\n",
                                (4, "pytorch=2.8.1", "2.8")),
    "channels as a block list at the key's indent": (
        "channels:\n- pytorch\n- conda-forge\ndependencies:\n- python=3.11\n- pytorch::pytorch=2.8\n",
        (6, "pytorch=2.8", "2.8")),
    "dependencies as a flow list over lines": (
        "dependencies: [python=3.11,  # the interpreter\n  pytorch=2.9.*,\n  pytorch-cuda=12.4]\n",
        (2, "pytorch=2.9.*", "2.9")),
    "pip list": ("dependencies:\n  - python=3.11\n  - pip\n  - pip:\n      - lightning==2.4.0\n"
                 "      - torch==2.9.1  # the image\n", (6, "torch==2.9.1", "2.9")),
    "pip as a flow mapping": ("dependencies: [python=3.11, {pip: [torch==2.10.0]}]\n", (1, "torch==2.10.0", "2.10")),
    "quoted items": ("dependencies:\n  - 'pytorch=2.8.1=py3.11_cuda12.4_cudnn9.1.0_0'\n  - \"numpy\"\n",
                     (2, "pytorch=2.8.1", "2.8")),
    "space-separated match spec": ("dependencies:\n  - pytorch 2.8.* cuda*\n", (2, "pytorch=2.8.*", "2.8")),
    "subdir channel": ("dependencies:\n  - conda-forge/linux-64::pytorch==2.8.1\n", (2, "pytorch==2.8.1", "2.8")),
    "bracket version": ("dependencies:\n  - pytorch[version='>=2.8,<2.9']\n", (2, "pytorch>=2.8,<2.9", "2.8")),
    "document start and comments": ("---\n# train env\nname: x  # the name\ndependencies:  # all\n"
                                    "  # - pytorch=2.7\n  - pytorch=2.8  # pinned\n", (6, "pytorch=2.8", "2.8")),
    "pytorch under another key": ("x-notes:\n  - pytorch=2.7.0\ndependencies:\n  - pytorch=2.9.0\n",
                                  (4, "pytorch=2.9.0", "2.9")),
}


@pytest.mark.parametrize("text,line,problem", [
    ("channels: [pytorch]\ndependencies: [python=3.11]\n", None, "names no torch requirement"),
    ("dependencies:\n  - pytorch-cuda=12.4\n  - torchvision=0.23\n  - torchaudio\n", None,
     "names no torch requirement"),
    ("dependencies:\n", None, "names no torch requirement"),
    ("dependencies:\n  - pytorch\n", 2, "'pytorch' does not pin one PyTorch major.minor"),
    ("dependencies:\n  - pytorch>=2.8\n", 2, "'pytorch>=2.8' does not pin one PyTorch major.minor"),
    ("dependencies:\n  - pytorch=2.8\n  - pip:\n    - torch==2.9.0\n", 2,
     "pins torch twice, to 2.8 and to 2.9 (line 4: 'torch==2.9.0')"),
    ("dependencies: pytorch=2.8\n", None, "has 'dependencies' that is not a list"),
    ("- pytorch=2.8\n", None, "is not a YAML mapping (name:, channels:, dependencies:)"),
])
def test_conda_files_without_a_pin_say_why(text: str, line: int | None, problem: str) -> None:
    reading = read_conda("environment.yml", text, {})
    assert (reading.version, reading.line, reading.problem) == (None, line, problem)


FOLLOW = "tagguard reads the plain YAML of environment files (lists, mappings, quotes on one line)"


@pytest.mark.parametrize("text,line,problem", [
    ("base: &deps\n  - pytorch=2.8\ndependencies: *deps\n", 1, "uses an anchor ('&deps')"),
    ("dependencies:\n  - *deps\n", 2, "uses an alias ('*deps')"),
    ("dependencies: !!seq\n  - pytorch=2.8\n", 1, "uses a tag ('!!seq')"),
    ("dependencies: |\n  - pytorch=2.8\n", 1, "uses a block scalar ('|')"),
    ("name: 'a\n  b'\ndependencies:\n  - pytorch=2.8\n", 1, "has quoted text going on past the line"),
    ("dependencies:\n\t- pytorch=2.8\n", 2, "is indented with a tab"),
    ("dependencies:\n  - pytorch=2.9\n---\ndependencies:\n  - pytorch=2.8\n", 3,
     "holds more than one YAML document"),
    ("dependencies:\n  - pytorch=2.9\ndependencies:\n  - pytorch=2.8\n", 3,
     "has the key 'dependencies' twice (lines 1 and 3)"),
    ("dependencies: [pytorch=2.8,\n  numpy\n", 1, "has a bracket that is never closed"),
    ("dependencies:\n  - pytorch=2.8\n    - numpy\n", 3, "is indented under a value (a value going on over lines"),
    ("dependencies:\n  - numpy\n    pytorch=2.9\n", 3, "is indented under a value"),
    ("  dependencies:\n    - numpy\nname: x\n", 3, "is indented less than the first line of the document"),
    ("dependencies: [pytorch=2.8] x\n", 1, "has text after a closing bracket: 'x'"),
    ("dependencies:\n  - \"pytorch=2.8\\u0030\"\n", 2, "has an escape in quoted text"),
    ("name: x\rdependencies:\n", 1, "has line breaks other than newlines"),
    ("dependencies:\n  just text\n", 2, "is neither a `key: value` nor a `- item` line"),
    ("dependencies: [{pip: [a], pip: [b]}]\n", 1, "has the key 'pip' twice"),
    ("dependencies:\n  - 'pytorch'=2.8\n", 2, "has text after a closing quote: ''pytorch'=2.8'"),
    ("dependencies: [{pip}]\n", 1, "has a flow mapping entry without a `key: value`"),
    ("dependencies: [a, b}\n", 1, "has '}' where a , or ] belongs"),
    ("dependencies:\n  - %x\n", 2, "uses a directive ('%x')"),
    ("...\ndependencies:\n", 1, "holds more than one YAML document"),
])
def test_yaml_the_reader_does_not_follow_is_refused_with_the_line(text: str, line: int, problem: str) -> None:
    reading = read_conda("environment.yml", text, {})
    assert (reading.version, reading.line) == (None, line), reading
    assert reading.problem is not None and reading.problem.startswith(problem), reading.problem
    assert reading.problem.endswith(FOLLOW)


def test_conda_nesting_is_bounded() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    assert read_conda("environment.yml", deep, {}).problem == f"nests deeper than {MAX_DEPTH} levels: {FOLLOW}"
    block = "".join(f"{' ' * i}k{i}:\n" for i in range(MAX_DEPTH + 5))
    assert read_conda("environment.yml", block, {}).problem == f"nests deeper than {MAX_DEPTH} levels: {FOLLOW}"


@pytest.mark.parametrize("text", [
    "dependencies: [" + "pytorch=2.8,\n" * 60_000 + "]\n",
    "dependencies:\n" + "  - pytorch=2.8  # c ' \" [\n" * 40_000,
    "dependencies:\n  - pytorch" + "[" * 900_000 + "\n",
    "x: " + "'a' " * 250_000 + "\n",
    "dependencies: [" + "{a: b}, " * 120_000 + "]\n",
])
def test_conda_reading_is_linear_on_a_megabyte(text: str) -> None:
    started = time.monotonic()
    read_conda("environment.yml", text, {})
    assert time.monotonic() - started < 5  # quadratic would take minutes here


@pytest.mark.parametrize("spec,expected", [
    ("pytorch::pytorch 2.8.* cuda*", "pytorch=2.8.*"), ("pytorch[version='>=2.8,<2.9']", "pytorch>=2.8,<2.9"),
    ("pytorch[build=cuda*]", "pytorch"), ("pytorch >=2.8,<2.9", "pytorch>=2.8,<2.9"), ("numpy", "numpy"),
])
def test_conda_spec(spec: str, expected: str) -> None:
    assert conda_spec(spec) == expected


# --- requirements files and what they include ---------------------------------------------

def loader(files: dict[str, str]):  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def load(path: str) -> bytes | str | None:
        asked.append(path)
        text = files.get(path)
        return text.encode() if text is not None else None

    load.asked = asked  # type: ignore[attr-defined]
    return load


def test_an_included_file_is_read_relative_to_the_including_one() -> None:
    files = {"reqs/base.txt": "numpy\n-r ../common/torch.txt\n", "common/torch.txt": "# the image\ntorch==2.8.1\n"}
    load = loader(files)
    reading = read_requirements("reqs/train.txt", "lightning\n-r base.txt  # shared\n", {}, load)
    assert (reading.path, reading.line, reading.found, reading.version) == ("common/torch.txt", 2, "torch==2.8.1 (via reqs/train.txt)", "2.8")
    assert load.asked == ["reqs/base.txt", "common/torch.txt"]
    spelled = read_requirements("requirements.txt", "--requirement=reqs/base.txt\n", {}, loader(files))
    assert spelled.version == "2.8"


def test_a_constraint_pins_an_unpinned_requirement() -> None:
    load = loader({"constraints.txt": "torch==2.9.0\nnumpy<2\n"})
    reading = read_requirements("requirements.txt", "-c constraints.txt\ntorch\n", {}, load)
    assert (reading.where, reading.version) == ("constraints.txt:1", "2.9")
    clash = read_requirements("requirements.txt", "--constraint constraints.txt\ntorch==2.8.1\n", {}, load)
    assert clash.problem == "pins torch twice, to 2.9 and to 2.8 (requirements.txt:2: 'torch==2.8.1')"
    assert read_requirements("requirements.txt", "torch\n", {}, load).problem == (
        "'torch' does not pin one PyTorch major.minor")


@pytest.mark.parametrize("text,files,line,problem", [
    ("numpy\n-r base.txt\n", {}, 2, "includes base.txt, which does not exist at this commit"),
    ("-r https://example.com/r.txt\n", {}, 1,
     "includes https://example.com/r.txt, from a URL, which tagguard does not fetch; list torch in a file of the "
     "repository"),
    ("-r ../../etc/r.txt\n", {}, 1, "includes ../../etc/r.txt, which is outside the repository"),
    ("-r /etc/r.txt\n", {}, 1, "includes /etc/r.txt, which is no path inside the repository"),
    ("-r a.txt\n", {"a.txt": "-r b.txt\n", "b.txt": "-r a.txt\n"}, 1,
     "includes a.txt, which includes this file again (requirements.txt -> a.txt -> b.txt -> a.txt): pip never ends"),
])
def test_an_include_tagguard_cannot_follow_is_refused_with_the_line(text: str, files: dict[str, str], line: int,
                                                                     problem: str) -> None:
    reading = read_requirements("requirements.txt", text, {}, loader(files))
    assert (reading.version, reading.line, reading.problem) == (None, line, problem)


def test_includes_are_bounded_in_depth() -> None:
    files = {f"r{i}.txt": f"-r r{i + 1}.txt\n" for i in range(MAX_INCLUDE_DEPTH + 3)}
    reading = read_requirements("requirements.txt", "-r r0.txt\n", {}, loader(files))
    assert reading.problem is not None and reading.problem.endswith("past what tagguard follows (8 levels, 32 files)")
    assert reading.path == f"r{MAX_INCLUDE_DEPTH - 1}.txt"


def test_an_include_with_no_loader_is_refused() -> None:
    assert read_requirements("requirements.txt", "-r base.txt\n", {}).problem == (
        "includes base.txt, and tagguard reads no other file here")


# --- pyproject.toml -------------------------------------------------------------------------

PYPROJECT = {
    "poetry exact": ('[tool.poetry.dependencies]\npython = "^3.11"\ntorch = "2.8.0"\n', (3, "torch==2.8.0", "2.8")),
    "poetry tilde": ('[tool.poetry.dependencies]\ntorch = "~2.9.1"\n', (2, "torch>=2.9.1,<2.10", "2.9")),
    "poetry wildcard": ('[tool.poetry.dependencies]\ntorch = "2.8.*"\n', (2, "torch==2.8.*", "2.8")),
    "poetry table": ('[tool.poetry.dependencies]\ntorch = {version = "2.9.1", source = "pytorch-cu128"}\n',
                     (2, "torch==2.9.1", "2.9")),
    "poetry group": ('[tool.poetry]\nname = "m"\n[tool.poetry.group.gpu.dependencies]\n"torch" = ">=2.8,<2.9"\n',
                     (4, "torch>=2.8,<2.9", "2.8")),
    "poetry wheel url": ('[tool.poetry.dependencies]\ntorch = {url = "https://download.pytorch.org/whl/cu128/'
                         'torch-2.8.0%2Bcu128-cp311-cp311-linux_x86_64.whl"}\n', (2, "torch-2.8.0%2Bcu128-cp311-cp311-"
                                                                                   "linux_x86_64.whl", "2.8")),
    "dependency group": ('[dependency-groups]\ngpu = [{include-group = "base"}, "torch==2.10.0"]\n',
                         (2, "torch==2.10.0", "2.10")),
    "uv override": ('[project]\nname = "m"\n[tool.uv]\noverride-dependencies = ["torch==2.9.0"]\n',
                    (4, "torch==2.9.0", "2.9")),
}


@pytest.mark.parametrize("path,name", [("environment.yml", name) for name in CONDA]
                         + [("pyproject.toml", name) for name in PYPROJECT])
def test_the_pin_a_package_file_declares(path: str, name: str) -> None:
    """Conda files read by their structure; pyproject.toml by each tool's tables."""
    text, expected = (CONDA if path == "environment.yml" else PYPROJECT)[name]
    reader = reader_for(path)
    assert reader is not None
    reading = reader(path, text, {}, None)
    assert (reading.line, reading.found, reading.version) == expected, reading


@pytest.mark.parametrize("text,line,problem", [
    ('[tool.poetry.dependencies]\ntorch = "^2.8"\n', 2, "'torch>=2.8,<3' does not pin one PyTorch major.minor"),
    ('[tool.poetry.dependencies]\ntorch = "*"\n', 2, "'torch' does not pin one PyTorch major.minor"),
    ('[tool.poetry.dependencies]\ntorch = [{version = "2.9.1", markers = "sys_platform == \'linux\'"},'
     ' {version = "2.8.0"}]\n', 2, "'torch==2.9.1; markers' has an environment marker"),
    ('[project]\ndependencies = ["torch==2.8.0"]\n[tool.poetry.group.gpu.dependencies]\ntorch = "2.9.0"\n', 2,
     "pins torch twice, to 2.8 and to 2.9 (line 4: 'torch==2.9.0')"),
    ('[tool.poetry]\ngroup = 1\n', None, "has a 'tool.poetry.group' key that is not a table"),
    ('[tool.poetry.group]\ngpu = 1\n', None, "has a 'tool.poetry.group.gpu' key that is not a table"),
    ('[dependency-groups]\ngpu = "torch"\n', None, "has [dependency-groups] gpu that is not an array of strings"),
    ('[tool.uv]\noverride-dependencies = 1\n', None, "has [tool.uv] override-dependencies that is not an array of strings"),
    ("[project]\ndependencies = [" + '"torch==2.8",' * 65 + "]\n", None, "names torch more than 64 times"),
])
def test_pyproject_without_one_pin_says_why(text: str, line: int | None, problem: str) -> None:
    reading = read_pyproject("pyproject.toml", text, {})
    assert (reading.version, reading.line) == (None, line), reading
    assert reading.problem is not None and reading.problem.startswith(problem), reading.problem


@pytest.mark.parametrize("constraint,spec", [
    ("2.8.0", "==2.8.0"), ("^2.8", ">=2.8,<3"), ("^0.4.1", ">=0.4.1,<0.5"), ("~2.8", ">=2.8,<2.9"),
    ("~2", ">=2,<3"), (">=2.8, <2.9", ">=2.8,<2.9"), ("~=2.8.0", "~=2.8.0"), ("*", ""), ("2.8 || 2.9", ""), (3, ""),
])
def test_poetry_version(constraint: object, spec: str) -> None:
    assert poetry_version(constraint) == spec


# --- lock files -----------------------------------------------------------------------------

def test_lock_files() -> None:
    uv = ('version = 1\n[[package]]\nname = "numpy"\nversion = "2.1.0"\n\n[[package]]\nname = "torch"\n'
          'version = "2.8.0+cu128"\nsource = { registry = "https://download.pytorch.org/whl/cu128" }\n')
    reading = read_lock("uv.lock", uv, {})
    assert (reading.line, reading.found, reading.version) == (7, "torch==2.8.0+cu128", "2.8")
    forked = '[[package]]\nname = "torch"\nversion = "2.8.0"\n[[package]]\nname = "torch"\nversion = "2.9.0"\n'
    assert read_lock("poetry.lock", forked, {}).problem == "pins torch twice, to 2.8 and to 2.9 (line 5: 'torch==2.9.0')"
    assert read_lock("uv.lock", '[[package]]\nname = "numpy"\n', {}).problem == "names no torch requirement"
    assert read_lock("uv.lock", '[[package]]\nname = "torch"\n', {}).problem == "has a torch package with no version"
    assert read_lock("uv.lock", "package = 1\n", {}).problem == "has a 'package' key that is not an array of tables"
    assert read_lock("uv.lock", "[[package]\n", {}).problem.startswith("not valid TOML (")
    assert reader_for("uv.lock") is read_lock and reader_for("sub/poetry.lock") is read_lock
