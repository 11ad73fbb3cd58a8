"""`tagguard verify-checkpoint`: a real torch.save checkpoint (or JSON sidecar) against the repo.

Checkpoints are saved by training scripts run in one Python that imported torch once (`trainer`);
most checks run in this process, two by the installed console script."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Callable

import pytest
from testing.ml import HAS_TORCH, Trainer, require, torch_version
from testing.tools import ROOT, cli, commit, git, run, tag, tagguard

# What a training script does: import torch, train, save the weights with git_info().
TRAIN = """
import sys, warnings
warnings.simplefilter("ignore")
import torch
from tagguard.provenance import git_info
model = torch.nn.Linear(4, 2)
torch.save({"model": model.state_dict(), "epoch": 3, "git_info": git_info()}, sys.argv[1])
"""


def torch_tag() -> str:
    """A tag whose vX.Y is the installed torch's major.minor, e.g. v2.13."""
    require(HAS_TORCH, "torch (pip install torch==2.13.0)")
    major, minor = version("torch").split(".")[:2]
    return f"v{major}.{minor}"


@pytest.fixture(scope="module")
def trainer() -> Iterator[Trainer]:
    require(HAS_TORCH, "torch (pip install torch==2.13.0)")
    trainer = Trainer()
    yield trainer
    trainer.close()


def train(trainer: Trainer, repo: Path, out: Path, script: str = TRAIN) -> Path:
    """Run a training script in `repo` that saves a checkpoint to `out`."""
    trainer.run(script, repo, str(out))
    return out


def sidecar(repo: Path, out: Path, **changes: object) -> Path:
    """A JSON sidecar of git_info(), as written next to a checkpoint, with fields changed."""
    result = run(sys.executable, "-c", "import json; from tagguard.provenance import git_info; "
                 "print(json.dumps(git_info()))", cwd=repo)
    out.write_text(json.dumps({**json.loads(result.stdout), **changes}))
    return out


Verify = Callable[..., tuple[int, list[str], str]]


def verify_script(path: Path, repo: Path, *args: str) -> tuple[int, list[str], str]:
    """`tagguard verify-checkpoint PATH ARGS` in `repo`, by the installed console script."""
    result = tagguard("verify-checkpoint", str(path), *args, cwd=repo)
    return result.returncode, result.stdout.splitlines(), result.stderr


@pytest.fixture
def verify(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Verify:
    """`tagguard verify-checkpoint PATH ARGS` in `repo`, run in this process (torch loads once)."""
    def verify_here(path: Path, repo: Path, *args: str) -> tuple[int, list[str], str]:
        monkeypatch.chdir(repo)
        result = cli(capsys, "verify-checkpoint", str(path), *args)
        return result.returncode, result.stdout.splitlines(), result.stderr
    return verify_here


def checks(lines: list[str]) -> list[tuple[str, str]]:
    return [(line.split()[0], line.split()[1]) for line in lines[:-1]]


def test_a_good_checkpoint(repo: Path, tmp_path: Path, trainer: Trainer) -> None:
    name = f"{torch_tag()}-ft-lr2"
    tag(repo, name, "acc=0.9")
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    status, lines, err = verify_script(ckpt, repo)
    assert (status, err) == (0, "")
    assert checks(lines) == [("ok", "commit-known"), ("ok", "clean"), ("ok", "tag-intact"), ("ok", "version-match")]
    head = git("rev-parse", "HEAD", cwd=repo)
    assert f"tag {name} still points at {head[:12]}" in lines[2]
    assert lines[3].endswith(f"saved with PyTorch {torch_version()}, as {torch_tag()} says")
    assert lines[-1] == f"{ckpt}: provenance ok"


def test_a_tag_of_a_tag_is_peeled_to_its_commit(repo: Path, tmp_path: Path, verify: Verify) -> None:
    git("tag", "-a", "v2.8-ft", "-m", "inner", cwd=repo)
    git("-c", "advice.nestedTag=false", "tag", "-a", "v2.8-prod-ready", "-m", "outer", "v2.8-ft", cwd=repo)
    ckpt = sidecar(repo, tmp_path / "model.json", tag="v2.8-prod-ready")
    _status, lines, _ = verify(ckpt, repo)
    assert ("ok", "tag-intact") in checks(lines), lines


def test_a_moved_tag_fails(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    name = f"{torch_tag()}-ft-lr2"
    tag(repo, name, "acc=0.9")
    trained_on = git("rev-parse", "HEAD", cwd=repo)
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    moved_to = commit(repo, "later work")
    git("tag", "-f", "-a", name, "-m", "moved", cwd=repo)
    status, lines, _ = verify(ckpt, repo)
    assert status == 1
    assert ("FAIL", "tag-moved") in checks(lines)
    assert f"tag {name} now points at {moved_to[:12]}, not at {trained_on[:12]}" in "\n".join(lines)
    assert lines[-1] == f"{ckpt}: 1 problem(s)"


def test_a_deleted_tag_fails(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    tag(repo, f"{torch_tag()}-ft-gone", "acc=0.9")
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    git("tag", "-d", f"{torch_tag()}-ft-gone", cwd=repo)
    status, lines, _ = verify(ckpt, repo)
    assert status == 1 and ("FAIL", "tag-missing") in checks(lines)


def test_a_dirty_save_fails(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    tag(repo, f"{torch_tag()}-ft-lr2", "acc=0.9")
    (repo / "train.py").write_text("print('edited, not committed')\n")
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    git("checkout", "--", "train.py", cwd=repo)  # the tree is clean again; the checkpoint remembers
    status, lines, _ = verify(ckpt, repo)
    assert status == 1
    assert checks(lines) == [("ok", "commit-known"), ("FAIL", "dirty"), ("ok", "tag-intact"), ("ok", "version-match")]
    assert f"({torch_tag()}-ft-lr2-dirty)" in lines[1]


def test_a_version_mismatch_fails(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    tag(repo, "v1.13-ft-old", "named for an old PyTorch")
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    status, lines, _ = verify(ckpt, repo)
    assert status == 1
    assert checks(lines)[-1] == ("FAIL", "version-mismatch")
    assert lines[-2].endswith(f"saved with PyTorch {torch_version()}, but the tag says v1.13")


def test_json_sidecar_with_the_declared_image(repo: Path, tmp_path: Path, verify: Verify) -> None:
    (repo / ".tagguard.toml").write_text('[image]\npytorch = "2.8"\n')
    git("add", ".tagguard.toml", cwd=repo)
    commit(repo, "policy")
    tag(repo, "v2.8-ft-a", "acc=0.9")
    good = sidecar(repo, tmp_path / "good.json")
    status, lines, _ = verify(good, repo)
    assert status == 0
    assert lines[3].split(None, 2)[2] == "the image declared PyTorch 2.8, as v2.8 says"
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"git_info": json.loads(good.read_text()), "step": 5}))
    assert verify(wrapped, repo)[0] == 0
    bad = sidecar(repo, tmp_path / "bad.json", pytorch="2.9")
    status, lines, _ = verify(bad, repo)
    assert (status, lines[3].split()[:2]) == (1, ["FAIL", "version-mismatch"])
    assert lines[3].endswith("the image declared PyTorch 2.9, but the tag says v2.8")


def test_untagged_code_is_a_note_and_unknown_commit_fails(repo: Path, tmp_path: Path, verify: Verify) -> None:
    untagged = sidecar(repo, tmp_path / "untagged.json")
    status, lines, _ = verify(untagged, repo)
    assert status == 0
    assert checks(lines) == [("ok", "commit-known"), ("ok", "clean"), ("note", "untagged"), ("note", "version-unknown")]
    other = tmp_path / "other"
    git("init", "-q", str(other), cwd=tmp_path)
    commit(other, "unrelated")
    status, lines, _ = verify(untagged, other)
    assert status == 1 and checks(lines)[0] == ("FAIL", "commit-missing")
    assert verify(untagged, tmp_path, "--repo", str(repo))[0] == 0


def test_saved_outside_a_repository(tmp_path: Path, repo: Path, verify: Verify) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    saved = sidecar(outside, tmp_path / "nogit.json")
    status, lines, _ = verify(saved, repo)
    assert status == 1
    assert checks(lines) == [("FAIL", "no-provenance")]
    assert lines[0].split(None, 2)[2].startswith("the checkpoint records no commit: no git provenance: ")


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"weights": [1, 2]}', "no 'git_info' entry; save one with torch.save"),
        ('{"git_info": {"commit": 5}}', "git_info.commit: expected a string or None, got int"),
        ('{"git_info": {"commit": "abc"}}', "git_info.commit: expected a full object id, got 'abc'"),
        ('{"git_info": {"commit": null, "tag": "a b\\nc"}}', "git_info.tag: 'a b\\\\nc' is not a tag name"),
        ('{"git_info": {"commit": null, "dirty": "yes"}}', "git_info.dirty: expected true, false or None"),
        ('{"git_info": {"commit": null, "tagguard": 1}}', "git_info.tagguard: expected a string or None, got int"),
    ],
)
def test_bad_sidecars_are_one_line_errors(
    repo: Path, tmp_path: Path, verify: Verify, content: str, message: str
) -> None:
    path = tmp_path / "info.json"
    path.write_text(content)
    status, lines, err = verify(path, repo)
    assert (status, lines) == (2, [])
    assert err.startswith(f"tagguard: error: {path}: ") and message in err and len(err.splitlines()) == 1


def test_missing_file(repo: Path, verify: Verify) -> None:
    assert verify(Path("nope.pth"), repo)[2] == "tagguard: error: nope.pth: no such file\n"


def test_loading_is_safe_code_in_a_checkpoint_never_runs(repo: Path, tmp_path: Path, trainer: Trainer) -> None:
    marker = tmp_path / "pwned"
    evil_class = f"import os\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch {marker}',))\n"
    evil = TRAIN.replace('"epoch": 3,', '"epoch": Evil(),').replace("model = ", evil_class + "model = ")
    ckpt = train(trainer, repo, tmp_path / "evil.pth", evil)
    status, lines, err = verify_script(ckpt, repo)
    assert (status, lines) == (2, [])
    assert err.startswith(f"tagguard: error: {ckpt}: can't be read as a torch checkpoint: ")
    assert len(err.splitlines()) == 1 and not marker.exists()


def test_not_a_checkpoint(repo: Path, tmp_path: Path, verify: Verify) -> None:
    require(HAS_TORCH, "torch (pip install torch==2.13.0)")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(os.urandom(256).replace(b"{", b"x"))
    status, _, err = verify(junk, repo)
    assert status == 2 and err.startswith(f"tagguard: error: {junk}: can't be read as a torch checkpoint: ")


def test_without_torch_installed_a_clear_line(repo: Path, tmp_path: Path) -> None:
    ckpt = tmp_path / "model.pth"
    ckpt.write_bytes(b"PK\x03\x04 stands in for a zip checkpoint")
    # -S: an interpreter without site-packages, so torch is not importable; tagguard from src
    result = run(sys.executable, "-S", "-m", "tagguard", "verify-checkpoint", str(ckpt), cwd=repo,
                 env={"PYTHONPATH": str(ROOT / "src")})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "tagguard: error: reading a torch checkpoint needs PyTorch: pip install 'tagguard[torch]' "
        "(or pass the checkpoint's JSON sidecar)\n")
