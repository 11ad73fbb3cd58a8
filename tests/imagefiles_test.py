"""Each reader, on real-world file shapes and on malformed ones."""

from __future__ import annotations

import time

import pytest

from tagguard.image.files import (
    read_conda,
    read_devcontainer,
    read_dockerfile,
    read_pyproject,
    read_requirements,
    reader_for,
)
from tagguard.image.reading import Build
from tagguard.image.torchpins import pinned_minor, torch_requirement

NGC = {"24.08": "2.5"}

DOCKERFILES = {
    "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n": (1, "2.8"),
    "# syntax=docker/dockerfile:1\nFROM --platform=linux/amd64 pytorch/pytorch:2.9.1-cuda12.6-cudnn9-devel AS train\n": (2, "2.9"),
    "ARG BASE=pytorch/pytorch\nARG TORCH=2.10.0\nFROM ${BASE}:${TORCH}-cuda13.0-cudnn9-runtime\n": (3, "2.10"),
    "ARG TAG\nFROM pytorch/pytorch:${TAG:-2.7.1}-cuda12.6-cudnn9-runtime\n": (2, "2.7"),
    # multi-stage: the stage built last counts, following its FROM to an earlier stage
    "FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-devel AS build\nRUN make\n"
    "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime AS serve\n": (3, "2.8"),
    "FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-devel AS base\nFROM base AS final\nCOPY . .\n": (1, "2.9"),
    # a CUDA base image with torch installed by pip, the pin in an ARG
    "FROM nvidia/cuda:12.8.0-cudnn-runtime-ubuntu22.04\nARG TORCH_VERSION=2.8.1\n"
    "RUN pip install --no-cache-dir \\\n    torch==${TORCH_VERSION} \\\n    numpy\n": (3, "2.8"),
    "FROM nvcr.io/nvidia/pytorch:24.08-py3\n": (1, "2.5"),
    "FROM ghcr.io/acme/pytorch-cuda:v2.8@sha256:" + "0" * 64 + "\n": (1, "2.8"),
}


@pytest.mark.parametrize("text,expected", DOCKERFILES.items())
def test_dockerfile(text: str, expected: tuple[int, str]) -> None:
    reading = read_dockerfile("Dockerfile", text, NGC)
    assert (reading.line, reading.version) == expected, reading


@pytest.mark.parametrize("text,problem", [
    ("", "has no FROM line"),
    ("# just a comment\nRUN echo\n", "has no FROM line"),
    ("FROM ubuntu:22.04\nRUN apt-get install -y python3\n", "can't read a PyTorch version from image 'ubuntu:22.04'"),
    ("FROM ubuntu:22.04\nRUN pip install torch\n",
     "installs torch ('torch') without a version tagguard can read; pin it: torch==X.Y.Z"),
    ("FROM python:3.11\nRUN python -c 'import torch' && pip install torchvision\n",
     "can't read a PyTorch version from image 'python:3.11'"),
    ("FROM pytorch/pytorch:latest\n", "can't read a PyTorch version from image 'pytorch/pytorch:latest'"),
    ("FROM nvcr.io/nvidia/pytorch:25.01-py3\n",
     "NGC image 'nvcr.io/nvidia/pytorch:25.01-py3' names release 25.01, not a PyTorch version; "
     "map it in the policy: [image.ngc] \"25.01\" = \"X.Y\""),
    ("FROM\n", "FROM requires either one or three arguments (FROM image [AS name])"),
])
def test_dockerfile_without_a_version_says_why(text: str, problem: str) -> None:
    reading = read_dockerfile("Dockerfile", text, NGC)
    assert reading.version is None and reading.problem == problem


T28 = "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n"

# An install replaces the image's torch: the last one in the built stages decides.
INSTALLS = {
    "pip upgrade": (T28 + "RUN pip install --upgrade torch==2.9.0\n", (2, "torch==2.9.0", "2.9")),
    "pip3 -U": (T28 + "RUN pip3 install -U 'torch==2.9.1'\n", (2, "torch==2.9.1", "2.9")),
    "python -m pip": (T28 + "RUN python3 -m pip install --no-cache-dir \"torch~=2.9.0\"\n", (2, "torch~=2.9.0", "2.9")),
    "uv pip": (T28 + "RUN uv pip install --system torch==2.10.0+cu128\n", (2, "torch==2.10.0+cu128", "2.10")),
    "conda with its channel": (T28 + "RUN conda install -y -c pytorch pytorch=2.9 && conda clean -a\n",
                               (2, "pytorch=2.9", "2.9")),
    "continuation and && chain": (T28 + "RUN apt-get update && \\\n    pip install \\\n      numpy \\\n"
                                  "      torch==2.9.0&&rm -rf /root/.cache\n", (2, "torch==2.9.0", "2.9")),
    "wheel URL": (T28 + "RUN pip install torch@https://download.pytorch.org/whl/cpu/torch-2.9.0%2Bcpu-cp311-cp311-"
                  "linux_x86_64.whl\n", (2, "torch-2.9.0%2Bcpu-cp311-cp311-linux_x86_64.whl", "2.9")),
    "in the stage the built one derives from": (
        T28.replace("\n", " AS base\n") + "RUN pip install torch==2.9.0\nFROM base AS train\nCOPY . .\n",
        (2, "torch==2.9.0", "2.9")),
    "in a stage that is not built": (T28.replace("\n", " AS tools\n") + "RUN pip install torch==2.9.0\n"
                                     "FROM pytorch/pytorch:2.8.1-cuda12.8-cudnn9-runtime AS train\n", (3, None, "2.8")),
    "the later install wins": ("FROM python:3.11\nRUN pip install torch==2.8.0\nRUN pip install -U torch==2.9.0\n",
                               (3, "torch==2.9.0", "2.9")),
    "a pinned install after an unpinned one": (T28 + "RUN pip install -U torch\nRUN pip install torch==2.9.0\n",
                                               (3, "torch==2.9.0", "2.9")),
    "heredoc RUN": (T28 + "RUN <<EOF\nset -e\npip install torch==2.9.0\nEOF\n", (2, "torch==2.9.0", "2.9")),
    "ARG default": (T28 + "ARG TORCH=2.9.1\nRUN pip install torch==${TORCH}\n", (3, "torch==2.9.1", "2.9")),
    "a platform ARG in the local part": (T28 + "ARG TARGETARCH\nRUN pip install torch==2.9.0+${TARGETARCH}\n",
                                         (3, None, "2.9")),
    "a global ARG declared again in the stage": ("ARG TORCH=2.9.0\n" + T28 + "ARG TORCH\n"
                                                 "RUN pip install torch==$TORCH\n", (4, "torch==2.9.0", "2.9")),
    "ENV": (T28 + "ENV TORCH_VERSION=2.9.1\nRUN pip install torch==$TORCH_VERSION\n", (3, "torch==2.9.1", "2.9")),
    "ENV of the parent stage": ("FROM nvidia/cuda:12.8.0-runtime-ubuntu22.04 AS base\nENV TV 2.10.0\n"
                                "FROM base AS train\nRUN pip install torch==${TV}\n", (4, "torch==2.10.0", "2.10")),
    "a default in the command": (T28 + "ARG TV\nRUN pip install torch==${TV:-2.9.0}\n", (3, "torch==2.9.0", "2.9")),
    "import torch is no install": (T28 + "RUN python -c 'import torch; print(torch.__version__)' && pip install x\n",
                                   (1, None, "2.8")),
}


@pytest.mark.parametrize("name", INSTALLS)
def test_the_torch_a_dockerfile_installs(name: str) -> None:
    text, (line, found, version) = INSTALLS[name]
    reading = read_dockerfile("Dockerfile", text, {})
    assert (reading.line, reading.version) == (line, version), reading
    assert found is None or reading.found == found


NO_DEFAULT = ("has no default value, so tagguard can't tell {what}; give it one (ARG {name}=...) or name the version "
              "in the policy instead of a file ([image] pytorch = \"X.Y\")")


@pytest.mark.parametrize("text,line,problem", [
    ("ARG TAG\nFROM pytorch/pytorch:${TAG}-cuda12.8-cudnn9-runtime\n", 2,
     "ARG TAG (line 1) " + NO_DEFAULT.format(what="which image FROM names", name="TAG")),
    (T28 + "ARG TORCH\nRUN pip install torch==${TORCH}\n", 3,
     "ARG TORCH (line 2) " + NO_DEFAULT.format(what="which torch line 3 installs ('torch==${TORCH}')", name="TORCH")),
    ("ARG OTHER\nARG TORCH=${OTHER}\nFROM pytorch/pytorch:${TORCH}\n", 3,
     "ARG OTHER (line 1) " + NO_DEFAULT.format(what="which image FROM names", name="OTHER")),
    (T28 + "ARG OTHER\nENV TORCH=2.${OTHER}\nRUN pip install torch==$TORCH\n", 4,
     "ARG OTHER (line 2) " + NO_DEFAULT.format(what="which torch line 4 installs ('torch==$TORCH')", name="OTHER")),
    (T28 + "ARG TARGETARCH\nRUN pip install torch==${TARGETARCH}\n", 3,
     "TARGETARCH depends on the platform of the build, so tagguard can't tell which torch line 3 installs "
     "('torch==${TARGETARCH}')"),
    ("ARG TORCH=2.9.0\n" + T28 + "RUN pip install torch==$TORCH\n", 3,
     "$TORCH is set by no ARG or ENV of the stage (it may come from the base image), so tagguard can't tell which "
     "torch line 3 installs ('torch==$TORCH'); set it with ARG TORCH=... in the stage"),
    (T28 + "RUN pip install torch==2.9.0\nRUN pip install --upgrade torch\n", 3,
     "installs torch ('torch') without a version tagguard can read; pin it: torch==X.Y.Z"),
])
def test_an_install_tagguard_cannot_read_names_what_is_missing(text: str, line: int, problem: str) -> None:
    reading = read_dockerfile("Dockerfile", text, {})
    assert (reading.line, reading.version, reading.problem) == (line, None, problem)


@pytest.mark.parametrize("text,line,problem", [
    ("FROM pytorch/pytorch:2.8.0\x00\n", None, "contains a NUL character"),
    ("FROM pytorch/pytorch:2.8.0\nRUN " + "x" * 70000 + "\n", 2, "line is longer than BuildKit's limit of 65535 bytes"),
])
def test_dockerfile_buildkit_would_not_read(text: str, line: int | None, problem: str) -> None:
    reading = read_dockerfile("Dockerfile", text, NGC)
    assert (reading.version, reading.line, reading.problem) == (None, line, problem)


REQUIREMENTS = {
    "torch==2.8.1\n": ("torch==2.8.1", "2.8"),
    "numpy>=1.26\n# the image\ntorch~=2.8.0  # pinned\n": ("torch~=2.8.0", "2.8"),
    "torch>=2.8,<2.9\n": ("torch>=2.8,<2.9", "2.8"),
    "--extra-index-url https://download.pytorch.org/whl/cu128\ntorch==2.9.0+cu128\n": ("torch==2.9.0+cu128", "2.9"),
    "torch[opt]==2.10.*\n": ("torch==2.10.*", "2.10"),
    "torch[opt]==2.10.* ; python_version >= '3.10'\n": ("torch==2.10.*", None),  # a marker: can't be sure
    "Torch == 2.8.1\n": ("Torch== 2.8.1", "2.8"),
}


@pytest.mark.parametrize("text,expected", REQUIREMENTS.items())
def test_requirements(text: str, expected: tuple[str, str]) -> None:
    reading = read_requirements("requirements.txt", text, {})
    assert (reading.found, reading.version) == expected


@pytest.mark.parametrize("text,problem", [
    ("numpy\n", "names no torch requirement"),
    ("torch>=2.8\n", "'torch>=2.8' does not pin one PyTorch major.minor"),
    ("torch\n", "'torch' does not pin one PyTorch major.minor"),
    ("torch>=2.8,<3\n", "'torch>=2.8,<3' does not pin one PyTorch major.minor"),
    ("torchvision==0.23.0\n", "names no torch requirement"),
    ("torch==2.8.1\n" * 65, "names torch more than 64 times"),
])
def test_requirements_without_a_pin(text: str, problem: str) -> None:
    assert read_requirements("requirements.txt", text, {}).problem == problem


@pytest.mark.parametrize("spec,version", [
    ("==2.8.1", "2.8"), ("~=2.8.0", "2.8"), ("~=2.8", None), (">=2.8,<2.9", "2.8"),
    ("<2.9,>=2.8.1", "2.8"), (">=2.8.0,<=2.8.9", "2.8"), (">2.8.0,<2.9", "2.8"), ("==2", None),
    (">=2.8", None), ("<2.9", None), ("", None), ("!=2.8.0", None), ("===2.8.1", "2.8"),
])
def test_pinned_minor(spec: str, version: str | None) -> None:
    assert pinned_minor(spec) == version


def test_conda_environment() -> None:
    text = """name: train
channels: [pytorch, nvidia, conda-forge]
dependencies:
  - python=3.11
  - pytorch::pytorch=2.8.1=py3.11_cuda12.4_cudnn9.1.0_0  # the image
  - pytorch-cuda=12.4
  - pip:
      - lightning==2.4.0
"""
    reading = read_conda("environment.yml", text, {})
    assert (reading.line, reading.found, reading.version) == (5, "pytorch=2.8.1", "2.8")
    pip_only = "dependencies:\n  - python=3.11\n  - pip:\n    - torch==2.9.1\n"
    assert read_conda("environment.yml", pip_only, {}).version == "2.9"
    assert read_conda("environment.yml", "dependencies:\n  - numpy\n", {}).problem == "names no torch requirement"


def test_pyproject() -> None:
    text = '[project]\nname = "model"\ndependencies = [\n  "numpy>=2",\n  "torch ~= 2.9.0",\n]\n'
    reading = read_pyproject("pyproject.toml", text, {})
    assert (reading.line, reading.version) == (5, "2.9")
    extra = '[project]\nname = "m"\n[project.optional-dependencies]\ngpu = ["torch==2.8.1"]\n'
    assert read_pyproject("pyproject.toml", extra, {}).version == "2.8"
    assert read_pyproject("pyproject.toml", "[project\n", {}).problem.startswith("not valid TOML (")


def test_devcontainer() -> None:
    text = """{
  // the training image
  "name": "train",
  "image": "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime", /* pinned */
  "features": {},
}"""
    reading = read_devcontainer(".devcontainer/devcontainer.json", text, {})
    assert (reading.line, reading.version) == (4, "2.8")
    built = read_devcontainer(".devcontainer/devcontainer.json", '{"build": {"dockerfile": "../Dockerfile"}}', {})
    assert built.follow == "Dockerfile" and built.version is None and built.problem is None
    url = read_devcontainer("devcontainer.json", '{"image": "x/y:1 // not a comment"}', {})
    assert url.problem == "can't read a PyTorch version from image 'x/y:1 // not a comment'"
    assert read_devcontainer("devcontainer.json", "{", {}).problem.startswith("not valid JSON (")
    assert read_devcontainer("devcontainer.json", "[]", {}).problem == "is not a JSON object"
    assert read_devcontainer("devcontainer.json", "{}", {}).problem == 'has neither "image" nor "build.dockerfile"'
    args = read_devcontainer("devcontainer.json", '{"build": {"dockerfile": "D", "args": {"V": "1"}, "target": "t"}}', {})
    assert args.build == Build((("V", "1"),), "t")
    assert read_devcontainer("devcontainer.json", '{"build": {"dockerfile": "D", "args": {"V": 1}}}', {}).problem == (
        'has "build.args" that is not an object of strings')
    assert read_devcontainer("devcontainer.json", '{"build": {"dockerfile": "D", "target": 1}}', {}).problem == (
        'has "build.target" that is not a string')


def test_build_args_override_arg_defaults() -> None:
    text = "ARG BASE=pytorch/pytorch:2.8.0\nFROM ${BASE}\nARG TORCH\nARG EXTRA=x\nRUN pip install torch==${TORCH} $EXTRA\n"
    assert read_dockerfile("Dockerfile", text, {}).problem.startswith("ARG TORCH (line 3) has no default value")
    built = read_dockerfile("Dockerfile", text, {}, None, Build((("TORCH", "2.9.0"),)))
    assert (built.line, built.version) == (5, "2.9")
    based = read_dockerfile("Dockerfile", "ARG BASE=pytorch/pytorch:2.8.0\nFROM ${BASE}\n", {}, None,
                            Build((("BASE", "pytorch/pytorch:2.10.0"),)))
    assert based.version == "2.10"


def test_build_args_the_devcontainer_fills_in_are_unknown() -> None:
    """`${localEnv:...}` is filled in on the machine that builds: unknown where it decides, harmless elsewhere."""
    build = Build((("TORCH", "${localEnv:TORCH}"), ("PROXY", "${localEnv:HTTP_PROXY}")))
    text = T28 + "ARG PROXY\nARG TORCH\nRUN pip install --proxy=$PROXY numpy\n"
    assert read_dockerfile("Dockerfile", text, {}, None, build).version == "2.8"
    reading = read_dockerfile("Dockerfile", text + "RUN pip install torch==${TORCH}\n", {}, None, build)
    assert (reading.line, reading.problem) == (5, (
        "the devcontainer sets ARG TORCH to '${localEnv:TORCH}', which is filled in where it is built, so tagguard "
        "can't tell which torch line 5 installs ('torch==${TORCH}'); name the version in the policy instead of a "
        'file ([image] pytorch = "X.Y")'))


@pytest.mark.parametrize("path,reader", [
    ("Dockerfile", read_dockerfile), ("docker/Dockerfile.train", read_dockerfile),
    ("Containerfile", read_dockerfile), ("train.dockerfile", read_dockerfile),
    ("requirements-gpu.txt", read_requirements), ("constraints.txt", read_requirements),
    ("pyproject.toml", read_pyproject), ("environment.yml", read_conda), ("conda-env.yaml", read_conda),
    (".devcontainer/devcontainer.json", read_devcontainer), ("setup.cfg", None), ("notes.txt", None),
])
def test_reader_by_file_name(path: str, reader: object) -> None:
    assert reader_for(path) is reader


def test_torch_requirement_ignores_other_packages() -> None:
    assert torch_requirement("torchvision==0.23.0") is None
    assert torch_requirement("pytorch-lightning==2.4") is None


def test_comment_stripping_is_linear() -> None:
    started = time.monotonic()
    reading = read_devcontainer("devcontainer.json", "//\n" * 350_000 + '{"image": "pytorch/pytorch:2.8.0"}', {})
    assert reading.version == "2.8"
    assert time.monotonic() - started < 5  # it was quadratic: about 11 s for this 1 MiB
