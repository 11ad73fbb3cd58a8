"""The image version read at the tagged commit of real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.tools import ZERO, git, tagguard

from tagguard.errors import PolicyError
from tagguard.git.refupdates import RefUpdate
from tagguard.git.repo import Git
from tagguard.policy.model import DEFAULT_POLICY, ImagePolicy, load_policy_file
from tagguard.verdict.imagecheck import readings_at
from tagguard.verdict.pushcheck import check_updates

TORCH_28 = "FROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime\n"
TORCH_29 = "FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime\n"


def commit_files(repo: Path, files: dict[str, str | bytes], message: str = "files") -> str:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        git("add", name, cwd=repo)
    git("commit", "-qm", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)


def verdict(repo: Path, name: str, files: tuple[str, ...] = ("Dockerfile",), ngc: dict | None = None) -> list[tuple[str, str]]:
    policy = DEFAULT_POLICY._replace(image=ImagePolicy(files=files, ngc=ngc or {}))
    update = RefUpdate(f"refs/tags/{name}", ZERO, git("rev-parse", f"refs/tags/{name}", cwd=repo))
    return [(v.code, v.message) for v in check_updates([update], policy, Git(str(repo)), None)[update.ref]]


def test_the_tagged_commit_counts_not_the_working_tree(repo: Path) -> None:
    commit = commit_files(repo, {"Dockerfile": TORCH_29})
    git("tag", "-a", "v2.8-ft-final", "-m", "acc=0.9", cwd=repo)
    git("tag", "-a", "v2.9-ft-final", "-m", "acc=0.9", cwd=repo)
    (repo / "Dockerfile").write_text(TORCH_28)  # the working tree says 2.8: it must not matter
    assert verdict(repo, "v2.8-ft-final") == [(
        "TG201",
        f"says PyTorch 2.8, but Dockerfile:1 at {commit[:12]} says 2.9 "
        "(FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime)",
    )]
    assert verdict(repo, "v2.9-ft-final") == []


def test_an_older_commit_is_read_as_it_was(repo: Path) -> None:
    old = commit_files(repo, {"Dockerfile": TORCH_28}, "2.8 image")
    commit_files(repo, {"Dockerfile": TORCH_29}, "move to 2.9")
    git("tag", "-a", "v2.8-base", old, "-m", "first convergence", cwd=repo)
    assert verdict(repo, "v2.8-base") == []


def test_first_file_found_wins(repo: Path) -> None:
    commit_files(repo, {"requirements.txt": "torch==2.8.1\n", "docker/Dockerfile": TORCH_29})
    git("tag", "-a", "v2.8-ft", "-m", "m", cwd=repo)
    assert verdict(repo, "v2.8-ft", ("Containerfile", "requirements.txt", "docker/Dockerfile")) == []
    assert verdict(repo, "v2.8-ft", ("docker/Dockerfile", "requirements.txt"))[0][0] == "TG201"


def test_devcontainer_that_builds_a_dockerfile(repo: Path) -> None:
    commit_files(repo, {
        ".devcontainer/devcontainer.json": '{"build": {"dockerfile": "../docker/train.Dockerfile"}}',
        "docker/train.Dockerfile": TORCH_29,
    })
    git("tag", "-a", "v2.9-ft", "-m", "m", cwd=repo)
    assert verdict(repo, "v2.9-ft", (".devcontainer/devcontainer.json",)) == []
    git("tag", "-a", "v2.8-ft", "-m", "m", cwd=repo)
    [(code, message)] = verdict(repo, "v2.8-ft", (".devcontainer/devcontainer.json",))
    assert code == "TG201" and "(via .devcontainer/devcontainer.json)" in message


def test_devcontainer_build_args_and_target(repo: Path) -> None:
    """The args and target a devcontainer builds with decide, at each commit: the same
    Dockerfile built with other args says another version."""
    dockerfile = ("ARG TORCH=2.8.0\nFROM pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime AS train\n"
                  "ARG TORCH\nRUN pip install torch==${TORCH}\nFROM train AS serve\nRUN pip install torch==2.10.0\n")
    config = '{{"build": {{"dockerfile": "../Dockerfile", "target": "train", "args": {{"TORCH": "{}"}}}}}}'
    first = commit_files(repo, {"Dockerfile": dockerfile, ".devcontainer/devcontainer.json": config.format("2.9.1")})
    second = commit_files(repo, {".devcontainer/devcontainer.json": config.format("2.7.0")})
    files = (".devcontainer/devcontainer.json",)
    readings = readings_at(Git(str(repo)), [first, second], files, {})
    assert [(readings[c].where, readings[c].found, readings[c].version) for c in (first, second)] == [
        ("Dockerfile:4", "torch==2.9.1 (via .devcontainer/devcontainer.json)", "2.9"),
        ("Dockerfile:4", "torch==2.7.0 (via .devcontainer/devcontainer.json)", "2.7")]
    third = commit_files(repo, {".devcontainer/devcontainer.json": config.format("x").replace("train", "Test")})
    assert readings_at(Git(str(repo)), [third], files, {})[third].problem == (
        "is built with the target 'Test', which no stage of it is named")


def test_unreadable_image_never_passes_silently(repo: Path) -> None:
    head = git("rev-parse", "HEAD", cwd=repo)[:12]
    git("tag", "-a", "v2.8-ft", "-m", "m", cwd=repo)
    assert verdict(repo, "v2.8-ft", ("Dockerfile", "requirements.txt")) == [
        ("TG202", f"Dockerfile, requirements.txt at {head}: none of these files exists")]
    commit = commit_files(repo, {"Dockerfile": "FROM nvcr.io/nvidia/pytorch:24.08-py3\n"})
    git("tag", "-a", "v2.5-ft", "-m", "m", cwd=repo)
    [(code, message)] = verdict(repo, "v2.5-ft")
    assert code == "TG202" and message.startswith(f"Dockerfile:1 at {commit[:12]}: NGC image")
    assert verdict(repo, "v2.5-ft", ngc={"24.08": "2.5"}) == []


def test_files_that_are_not_files(repo: Path) -> None:
    commit = commit_files(repo, {"Dockerfile/README": "a directory named Dockerfile",
                                 "requirements.txt": b"# x\n" * 300_000})
    git("tag", "-a", "v2.8-ft", "-m", "m", cwd=repo)
    assert verdict(repo, "v2.8-ft") == [("TG202", f"Dockerfile at {commit[:12]}: is a tree, not a file")]
    assert verdict(repo, "v2.8-ft", ("requirements.txt",)) == [
        ("TG202", f"requirements.txt at {commit[:12]}: is larger than 1 MiB")]


def test_many_tags_are_read_in_one_batch(repo: Path) -> None:
    updates = []
    for minor in (8, 9):
        commit_files(repo, {"Dockerfile": f"FROM pytorch/pytorch:2.{minor}.0-cuda12.8-cudnn9-runtime\n"})
        for n in range(3):
            git("tag", "-a", f"v2.8-exp-{minor}-{n}", "-m", "m", cwd=repo)
            updates.append(RefUpdate(f"refs/tags/v2.8-exp-{minor}-{n}", ZERO,
                                     git("rev-parse", f"refs/tags/v2.8-exp-{minor}-{n}", cwd=repo)))
    policy = DEFAULT_POLICY._replace(image=ImagePolicy(files=("Dockerfile",)))
    result = check_updates(updates, policy, Git(str(repo)), None)
    assert [bool(v) for v in result.values()] == [False] * 3 + [True] * 3


def test_requirements_include_files_of_the_tagged_commit(repo: Path) -> None:
    """`-r` and `-c` are read at the tag's commit, relative to the including file; a commit
    that changes only the included file is read anew, not from what an earlier commit said."""
    old = commit_files(repo, {"reqs/requirements-train.txt": "-r base.txt\n-c ../constraints.txt\ntorch\n",
                              "reqs/base.txt": "numpy\n", "constraints.txt": "torch==2.8.1\n"})
    git("tag", "-a", "v2.8-base", "-m", "m", cwd=repo)
    new = commit_files(repo, {"constraints.txt": "torch==2.9.0\n"})
    git("tag", "-a", "v2.8-ft", "-m", "m", cwd=repo)
    (repo / "constraints.txt").write_text("torch==2.8.1\n")  # the working tree must not matter
    files = ("reqs/requirements-train.txt",)
    readings = readings_at(Git(str(repo)), [old, new], files, {})
    assert [(readings[c].where, readings[c].version) for c in (old, new)] == [
        ("constraints.txt:1", "2.8"), ("constraints.txt:1", "2.9")]
    assert verdict(repo, "v2.8-base", files) == []
    assert verdict(repo, "v2.8-ft", files) == [
        ("TG201", f"says PyTorch 2.8, but constraints.txt:1 at {new[:12]} says 2.9 (torch==2.9.0 (via reqs/requirements-train.txt))")]
    commit = commit_files(repo, {"reqs/requirements-train.txt": "numpy\n-r gpu.txt\n"})
    git("tag", "-a", "v2.9-ft", "-m", "m", cwd=repo)
    assert verdict(repo, "v2.9-ft", files) == [
        ("TG202", f"reqs/requirements-train.txt:2 at {commit[:12]}: includes gpu.txt, which does not exist at this commit (-r gpu.txt)")]


def test_an_included_path_that_is_a_directory_is_refused(repo: Path) -> None:
    commit = commit_files(repo, {"requirements.txt": "-r extra\n", "extra/a.txt": "torch==2.8.0\n"})
    git("tag", "-a", "v2.8-ft", "-m", "m", cwd=repo)
    assert verdict(repo, "v2.8-ft", ("requirements.txt",)) == [
        ("TG202", f"requirements.txt:1 at {commit[:12]}: includes extra, which is a tree, not a file (-r extra)")]


def test_conda_channels_are_no_dependency(repo: Path) -> None:
    commit_files(repo, {"environment.yml": "name: train\nchannels: [pytorch, nvidia]\n"
                                           "dependencies: [python=3.11, pytorch=2.8.*, pytorch-cuda=12.4]\n"})
    git("tag", "-a", "v2.8-ft", "-m", "m", cwd=repo)
    assert verdict(repo, "v2.8-ft", ("environment.yml",)) == []


def test_a_conda_pip_list_includes_requirements_next_to_it(repo: Path) -> None:
    commit = commit_files(repo, {"env/environment.yml": "channels:\n  - pytorch\ndependencies:\n  - pip\n  - pip:\n"
                                                        "    - -r requirements-gpu.txt  # next to this file\n",
                                 "env/requirements-gpu.txt": "torch==2.9.1\n"})
    git("tag", "-a", "v2.8-ft", "-m", "m", cwd=repo)
    assert verdict(repo, "v2.8-ft", ("env/environment.yml",)) == [
        ("TG201", f"says PyTorch 2.8, but env/requirements-gpu.txt:1 at {commit[:12]} says 2.9 (torch==2.9.1 (via env/environment.yml))")]


# --- policy keys ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("[image]\nfile = 'setup.cfg'", "image.file: tagguard can't read 'setup.cfg': it reads Dockerfile*"),
    ("[image]\nfile = ['Dockerfile', '/etc/passwd']", "image.file[2]: expected a path inside the repository, got '/etc/passwd'"),
    ("[image]\nfile = '../Dockerfile'", "image.file: expected a path inside the repository, got '../Dockerfile'"),
    ("[image.ngc]\n'24.08' = 2.5", "image.ngc.\"24.08\": expected a PyTorch major.minor like \"2.8\", got float"),
    ("[image.ngc]\n'24.08' = 'two'", "image.ngc.\"24.08\": expected a PyTorch major.minor like \"2.8\", got 'two'"),
    ("[image]\nngc = 3", "image.ngc: expected a table, got int"),
])
def test_image_policy_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy_file(str(path))
    assert str(caught.value).startswith(f"{path}: {message}")


def test_ngc_ref_with_mapping_in_policy(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[image]\nref = 'nvcr.io/nvidia/pytorch:24.08-py3'\n[image.ngc]\n'24.08' = '2.5'\n")
    assert load_policy_file(str(path)).image.pytorch == ("2.5",)


# --- tagguard image ------------------------------------------------------------------------

def test_image_command_shows_file_line_and_version(repo: Path) -> None:
    commit = commit_files(repo, {"Dockerfile": "ARG V=2.9.1\n" + TORCH_29.replace("2.9.1", "${V}")})
    (repo / ".tagguard.toml").write_text("[image]\nfile = ['Containerfile', 'Dockerfile']\n")
    result = tagguard("image", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"commit:  {commit[:12]} (HEAD)",
        f"policy:  {repo / '.tagguard.toml'}",
        "image:   not set in the policy; reads Containerfile, Dockerfile",
        "Containerfile: absent",
        "Dockerfile:2: FROM pytorch/pytorch:${V}-cuda12.8-cudnn9-runtime "
        "(= pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime) -> PyTorch 2.9",
        "verdict: tags on this commit must be v2.9-* (from Dockerfile)",
    ]


def test_image_command_without_files_in_the_policy_shows_every_candidate(repo: Path) -> None:
    commit_files(repo, {"requirements.txt": "torch>=2.8\n"})
    result = tagguard("image", "HEAD", cwd=repo)
    assert result.returncode == 0
    assert "requirements.txt:1: no version: 'torch>=2.8' does not pin one PyTorch major.minor (torch>=2.8)" in result.stdout
    assert "Dockerfile: absent" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("note:    the policy reads no file")


def test_image_command_warns_when_the_files_disagree(repo: Path) -> None:
    commit_files(repo, {"Dockerfile": TORCH_29, "requirements.txt": "numpy\ntorch==2.8.1\n"})
    result = tagguard("image", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [
        "warning: Dockerfile:1 says PyTorch 2.9 (FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime) but "
        "requirements.txt:2 says 2.8 (torch==2.8.1); make them agree, then set [image] file = \"Dockerfile\" to "
        "check tags against it",
        "note:    the policy reads no file; set [image] file = \"Dockerfile\" to check tags against it",
    ]
    (repo / ".tagguard.toml").write_text("[image]\nfile = ['requirements.txt', 'Dockerfile']\n")
    result = tagguard("image", cwd=repo)
    assert result.stdout.splitlines()[-2:] == [
        "warning: requirements.txt:2 says PyTorch 2.8 (torch==2.8.1) but Dockerfile:1 says 2.9 "
        "(FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime); make them agree: tags are checked against "
        "requirements.txt only (the first file of [image] file present)",
        "verdict: tags on this commit must be v2.8-* (from requirements.txt)",
    ]
    commit_files(repo, {"requirements.txt": "torch==2.9.1\n"})
    assert "warning" not in tagguard("image", cwd=repo).stdout


def test_image_command_exit_1_when_unreadable(repo: Path) -> None:
    (repo / ".tagguard.toml").write_text("[image]\nfile = 'Dockerfile'\n")
    result = tagguard("image", cwd=repo)
    assert result.returncode == 1 and "Dockerfile: absent" in result.stdout


def test_image_command_errors(repo: Path, tmp_path: Path) -> None:
    result = tagguard("image", "no-such-rev", cwd=repo)
    assert (result.returncode, result.stderr) == (2, "tagguard: error: no commit 'no-such-rev' in this repository\n")
    result = tagguard("image", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, f"tagguard: error: not a git repository: {tmp_path}; cd into a clone, then run `tagguard image` there\n")
