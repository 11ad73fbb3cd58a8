"""The README's section on checkpoints and the tag history shows what really happens."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from testing.ml import HAS_TORCH, require
from testing.tools import ROOT, cli, run, tagguard

SECTION = (ROOT / "README.md").read_text().split("## Checkpoint provenance and the tag history", 1)[1]


def block(kind: str, after: str) -> str:
    return SECTION.split(after, 1)[1].split(f"```{kind}\n", 1)[1].split("```", 1)[0]


def test_the_training_snippet_saves_a_checkpoint_that_verifies(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    require(HAS_TORCH, "torch (pip install torch==2.13.0)")
    snippet = "import warnings; warnings.simplefilter('ignore')\n" + block("python", "### Record the code")
    result = run(sys.executable, "-c", snippet, cwd=repo)
    assert result.returncode == 0, result.stderr
    monkeypatch.chdir(repo)
    verified = cli(capsys, "verify-checkpoint", "model.pth")  # in this process: torch loads once a session
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout.splitlines()[-1] == "model.pth: provenance ok"


def test_the_log_example(repo: Path) -> None:
    env = {"GIT_COMMITTER_NAME": "Ana Ng", "GIT_COMMITTER_EMAIL": "ana@example.com"}
    for name, message, date in [
        ("v2.8-base", "baseline: acc=0.871, f1=0.842", "2025-03-01T10:00:00Z"),
        ("v2.8-ft-lr2", "fine-tune, half learning rate\n\nMetric-acc: 0.932\nMetric-f1: 0.897", "2025-03-04T10:00:00Z"),
        ("v2.8-aug-v2", "new augmentation\nacc: 0.925", "2025-03-06T10:00:00Z"),
    ]:
        made = run("git", "tag", "-a", name, "-m", message, cwd=repo, env={**env, "GIT_COMMITTER_DATE": date})
        assert made.returncode == 0
    assert tagguard("log", cwd=repo).stdout == block("text", "`tagguard log` lists")
    assert tagguard("log", "--best", "acc", cwd=repo).stdout == "v2.8-ft-lr2\n"


def test_train_evaluate_tag_verify(repo: Path) -> None:
    require(HAS_TORCH, "torch (pip install torch==2.13.0)")
    (repo / "train.py").write_text(block("python", "### Record the code"))
    (repo / "evaluate.py").write_text(block("python", "An `evaluate.py`"))
    run("git", "add", "train.py", "evaluate.py", cwd=repo)
    assert run("git", "commit", "-qm", "training code", cwd=repo).returncode == 0
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "PYTHONWARNINGS": "ignore"}
    for line in block("sh", "With `train.py` and `evaluate.py` committed").splitlines():
        done = run("bash", "-c", line, cwd=repo, env=env)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
    shown = block("text", "With `train.py` and `evaluate.py` committed").splitlines()
    got = done.stdout.splitlines()
    assert [line.split()[:2] for line in got] == [line.split()[:2] for line in shown]
    assert got[2:] == shown[2:]  # the commit's id differs; the rest is as shown
    acc = run("git", "tag", "-l", "--format=%(trailers:key=Metric-acc,valueonly)", "v2.13-ft-lr2", cwd=repo).stdout
    assert acc.strip() == run(sys.executable, "evaluate.py", cwd=repo).stdout.strip().split("=")[1]


def test_the_safetensors_snippet_saves_a_file_that_verifies(repo: Path) -> None:
    require(HAS_TORCH, "torch (pip install torch==2.13.0)")
    result = run(sys.executable, "-W", "ignore", "-c", block("python", "For safetensors"), cwd=repo)
    assert result.returncode == 0, result.stderr
    verified = tagguard("verify-checkpoint", "model.safetensors", cwd=repo)
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout.splitlines()[-1] == "model.safetensors: provenance ok"
