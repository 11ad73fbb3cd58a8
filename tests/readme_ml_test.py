"""The README's section on checkpoints and the tag history shows what really happens."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from testing.ml import HAS_TORCH, require, torch_version
from testing.tools import ROOT, TAGGUARD, cli, run, tagguard

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


IMAGE = "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime"
WEIGHTS = "Checkpoint: sha256:" + "5d" * 32 + " 4096 model.pth"


def test_the_log_example(repo: Path) -> None:
    env = {"GIT_COMMITTER_NAME": "Ana Ng", "GIT_COMMITTER_EMAIL": "ana@example.com"}
    for name, message, date in [
        ("v2.8-base", "baseline: acc=0.871, f1=0.842", "2025-03-01T10:00:00Z"),
        ("v2.8-ft-lr2", f"fine-tune, half learning rate\n\nImage: {IMAGE}\n{WEIGHTS}\nMetric-acc: 0.932\n"
         "Metric-f1: 0.897", "2025-03-04T10:00:00Z"),
        ("v2.8-aug-v2", "new augmentation, seed: 7\nacc: 0.925", "2025-03-06T10:00:00Z"),
    ]:
        made = run("git", "tag", "-a", name, "-m", message, cwd=repo, env={**env, "GIT_COMMITTER_DATE": date})
        assert made.returncode == 0
    head = run("git", "rev-parse", "--short=12", "HEAD", cwd=repo).stdout.strip()
    shown = tagguard("log", cwd=repo).stdout.replace(head, "2a8f95ce0153")
    assert shown == block("text", "`tagguard log` lists")
    assert tagguard("log", "--best", "acc", cwd=repo).stdout == "v2.8-ft-lr2\n"
    command = block("sh", "The page for a weekly review").split()
    assert command[:2] == ["tagguard", "log"]
    made = tagguard(*command[1:], cwd=repo)
    assert (made.returncode, made.stdout) == (0, block("text", "The page for a weekly review"))
    page = (repo / "report.html").read_text()
    assert page.count('<svg class="chart"') == 2
    assert re.search(r'<text class="tick x"[^>]*>2025-03-\d\d</text>', page)  # dates along the x axis


def test_the_log_commands(repo: Path) -> None:
    """The README's `tagguard log` examples, pasted into a shell, do what the sentence after them says."""
    for n, (line, kind, acc, loss) in enumerate([("2.8", "ft", 0.90, 0.5), ("2.9", "base", 0.91, 0.4),
                                                 ("2.9", "ft", 0.93, 0.45), ("2.9", "ft", 0.92, 0.3)]):
        message = f"run {n}\n\nMetric-acc: {acc}\nMetric-val-loss: {loss}"
        date = f"2025-0{2 + n}-15T00:00:00Z"
        made = run("git", "tag", "-a", f"v{line}-{kind}-r{n}", "-m", message, cwd=repo,
                   env={"GIT_COMMITTER_DATE": date})
        assert made.returncode == 0
    commands = block("sh", "lists every tag that follows").strip().splitlines()
    outputs = []
    path = {"PATH": f"{Path(TAGGUARD).parent}{os.pathsep}{os.environ['PATH']}"}
    for command in commands:
        result = run("sh", "-c", command, cwd=repo, env=path)
        assert (result.returncode, result.stderr) == (0, ""), command
        outputs.append(result.stdout)
    assert [line.split()[0] for line in outputs[0].splitlines()[1:]] == ["v2.9-ft-r2", "v2.9-ft-r3"]
    spreadsheet = (repo / "history.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in spreadsheet[1:]] == ["v2.9-base-r1", "v2.9-ft-r2", "v2.9-ft-r3"]
    assert outputs[2:] == ["v2.9-ft-r2\n", "v2.9-ft-r3\n"]


def test_the_metrics_table_example_is_a_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(block("toml", "declares the metrics and which way is better"))
    result = tagguard("policy", "--policy", str(policy))
    assert result.stdout.splitlines()[-1] == "metrics:   acc (higher is better), val_loss (lower is better)"


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
    got = done.stdout.replace(torch_version(), "2.13.0+cpu").splitlines()  # (a CUDA build says +cu130)
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
