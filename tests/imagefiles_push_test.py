"""The image files of issue 13, pushed for real to a server with tagguard's hooks: the server
reads them from the pushed objects, including the files a requirements file includes."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.server import push, refused_image, server_tags
from testing.tools import annotated

T28 = "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n"

# (policy file, files, the tag that lands, the first line the server prints for the other tag)
CASES = {
    "conda channels": (
        "environment.yml",
        {"environment.yml": "name: train\nchannels: [pytorch, nvidia]\ndependencies:\n  - python=3.11\n"
                            "  - pytorch-cuda=12.4\n  - pip:\n      - torch==2.9.1  # the image\n"},
        "v2.9-ft", "TG201 says PyTorch 2.8, but environment.yml:7 at {head} says 2.9 (torch==2.9.1)"),
    "dockerfile upgrade": (
        "Dockerfile",
        {"Dockerfile": T28.replace("\n", " AS base\n") + "RUN python -m pip install --upgrade \\\n"
                                                         "    torch==2.9.0 && pip cache purge\nFROM base AS train\n"},
        "v2.9-ft", "TG201 says PyTorch 2.8, but Dockerfile:2 at {head} says 2.9 (torch==2.9.0)"),
    "requirements include": (
        "requirements.txt",
        {"requirements.txt": "numpy\n-r requirements/gpu.txt\n", "requirements/gpu.txt": "-c ../constraints.txt\ntorch\n",
         "constraints.txt": "torch==2.9.0\n"},
        "v2.9-ft", "TG201 says PyTorch 2.8, but constraints.txt:1 at {head} says 2.9 "
                   "(torch==2.9.0 (via requirements.txt))"),
    "poetry group": (
        "pyproject.toml",
        {"pyproject.toml": '[tool.poetry]\nname = "m"\n[tool.poetry.group.gpu.dependencies]\ntorch = "~2.9.0"\n'},
        "v2.9-ft", "TG201 says PyTorch 2.8, but pyproject.toml:4 at {head} says 2.9 (torch>=2.9.0,<2.10)"),
    "uv lock": (
        "uv.lock",
        {"uv.lock": 'version = 1\n[[package]]\nname = "torch"\nversion = "2.9.0"\n'},
        "v2.9-ft", "TG201 says PyTorch 2.8, but uv.lock:3 at {head} says 2.9 (torch==2.9.0)"),
}


@pytest.mark.parametrize("case", CASES)
def test_the_server_reads_the_image_files(clone: Path, server: Path, case: str) -> None:
    path, files, lands, refused_line = CASES[case]
    head, line = refused_image(clone, server, path, files)
    assert line == "v2.8-ft: " + refused_line.format(head=head[:12])
    annotated(clone, lands)
    assert push(clone, "main", lands).returncode == 0
    assert list(server_tags(server)) == [lands]


def test_an_include_missing_from_the_pushed_commit_is_refused_with_its_line(clone: Path, server: Path) -> None:
    (clone / "base.txt").write_text("torch==2.8.0\n")  # in the working tree, never committed
    head, line = refused_image(clone, server, "requirements.txt", {"requirements.txt": "numpy\n-r base.txt\n"})
    assert line == (f"v2.8-ft: TG202 requirements.txt:2 at {head[:12]}: includes base.txt, which does not exist at "
                    "this commit (-r base.txt)")


def test_a_run_arg_with_no_default_is_named(clone: Path, server: Path) -> None:
    head, line = refused_image(clone, server, "Dockerfile",
                               {"Dockerfile": T28 + "ARG TORCH\nRUN pip install torch==${TORCH}\n"})
    assert line == (
        f"v2.8-ft: TG202 Dockerfile:3 at {head[:12]}: ARG TORCH (line 2) has no default value, so tagguard can't "
        "tell which torch line 3 installs ('torch==${TORCH}'); give it one (ARG TORCH=...) or name the version in "
        'the policy instead of a file ([image] pytorch = "X.Y") (pip install torch==${TORCH})')


T29 = "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"
NOT_INSTALLS = {  # words that look like a pin in a command that installs nothing (found by a review)
    "echo after the install": "FROM python:3.11\nRUN pip install torch==2.9.0 && echo torch==2.8.0\n",
    "a shell comment": f"FROM {T29}\nRUN true # torch==2.8.0\n",
    "pip download": f"FROM {T29}\nRUN pip download torch==2.8.0\n",
    "pip uninstall": "FROM python:3.11\nRUN pip install torch==2.9.0\nRUN pip uninstall -y torch==2.8.0 || true\n",
}


@pytest.mark.parametrize("case", NOT_INSTALLS)
def test_only_an_install_says_which_torch_runs(clone: Path, server: Path, case: str) -> None:
    """The torch that runs is 2.9; a `v2.8-` tag must not land on words that install nothing."""
    _, first = refused_image(clone, server, "Dockerfile", {"Dockerfile": NOT_INSTALLS[case]})
    assert first.startswith("v2.8-ft: TG201 "), first
    assert "2.9" in first


@pytest.mark.parametrize(("policy_file", "files"), [
    ("requirements.txt", {"requirements.txt": "torch==2.8${TV}\n"}),  # pip fills ${TV} in from the build
    ("environment.yml", {"environment.yml": "name: t\nchannels: [pytorch]\ndependencies:\n  - pytorch 2.8.*|2.9.*\n"}),
])
def test_a_pin_that_allows_another_minor_is_no_pin(clone: Path, server: Path, policy_file: str,
                                                   files: dict[str, str]) -> None:
    _, first = refused_image(clone, server, policy_file, files)
    assert first.startswith("v2.8-ft: TG202 "), first


def test_arg_values_that_double_each_line_are_refused_at_once(clone: Path, server: Path) -> None:
    """ARG A1=${A0}${A0}, A2=${A1}${A1}, ...: forty lines would make a value of 16 TiB (a
    review's hook ran for minutes): a value past 64 KiB, BuildKit's line limit, is refused."""
    doubling = "".join(f"ARG A{i + 1}=${{A{i}}}${{A{i}}}\n" for i in range(40))
    dockerfile = f"ARG A0=xxxxxxxxxxxxxxxx\n{doubling}FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n"
    _, first = refused_image(clone, server, "Dockerfile", {"Dockerfile": dockerfile})
    assert first.startswith("v2.8-ft: TG202 "), first
    assert "a value expands to more than 64 KiB" in first


def test_a_torch_named_only_by_a_constraint_is_no_install(clone: Path, server: Path) -> None:
    _, first = refused_image(clone, server, "requirements.txt", {
        "requirements.txt": "numpy\n-c constraints.txt\n", "constraints.txt": "torch==2.8.0\n"})
    assert first.startswith("v2.8-ft: TG202 "), first
    assert "installs no torch: only a constraint names it" in first
