"""`tagguard tag` (and `git tg`): annotated snapshot tags with image and metric trailers."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from testing.hints import hints_of, paste
from testing.tools import git, run, tagguard

from tagguard.ml.weights import parse_weights

IMAGE = "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime"


def trailers(repo: Path, name: str) -> str:
    return git("tag", "-l", "--format=%(trailers)", name, cwd=repo)


def test_creates_an_annotated_tag_with_image_and_metric_trailers(repo: Path) -> None:
    (repo / ".tagguard.toml").write_text(f"[image]\nref = '{IMAGE}'\n")
    git("add", ".tagguard.toml", cwd=repo)
    git("commit", "-q", "-m", "policy", cwd=repo)
    result = tagguard("tag", "v2.8-ft-lr2", "-m", "fine-tune, lr/2", "--metric", "acc=0.932",
                      "--metric", "f1=0.897", cwd=repo)
    head = git("rev-parse", "HEAD", cwd=repo)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"created v2.8-ft-lr2 at {head[:12]} (annotated)\npublish it: git push origin v2.8-ft-lr2\n"
    )
    assert git("cat-file", "-t", "v2.8-ft-lr2", cwd=repo) == "tag"
    assert git("rev-parse", "v2.8-ft-lr2^{commit}", cwd=repo) == head
    assert git("tag", "-l", "--format=%(contents:subject)", "v2.8-ft-lr2", cwd=repo) == "fine-tune, lr/2"
    assert trailers(repo, "v2.8-ft-lr2") == f"Image: {IMAGE}\nMetric-acc: 0.932\nMetric-f1: 0.897"
    value = git("tag", "-l", "--format=%(trailers:key=Metric-acc,valueonly)", "v2.8-ft-lr2", cwd=repo)
    assert value == "0.932"


def test_image_option_and_no_image(repo: Path) -> None:
    result = tagguard("tag", "v2.8-base", "-m", "baseline", "--image", IMAGE, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert trailers(repo, "v2.8-base") == f"Image: {IMAGE}"
    bare = tagguard("tag", "v2.8-exp-a", "-m", "# run 1 (kept verbatim)", cwd=repo)
    assert bare.returncode == 0
    assert bare.stderr == "no image recorded: pass --image REF, or set [image] ref or file in the policy\n"
    assert git("tag", "-l", "--format=%(contents)", "v2.8-exp-a", cwd=repo) == "# run 1 (kept verbatim)"


def test_refuses_a_bad_name_with_the_corrected_command(repo: Path) -> None:
    result = tagguard("tag", "V2.8_FT_lr2", "-m", "x", cwd=repo)
    assert result.returncode == 1
    assert result.stderr == (
        "V2.8_FT_lr2: TG101 starts with 'V'; names are all lowercase\n"
        "    did you mean 'v2.8-ft-lr2'? git tag -a v2.8-ft-lr2 -m \"...\"\n"
    )
    assert git("tag", "-l", cwd=repo) == ""


def test_refuses_a_name_that_disagrees_with_the_image(repo: Path) -> None:
    result = tagguard("tag", "v2.9-ft", "-m", "x", "--image", IMAGE, cwd=repo)
    assert result.returncode == 1
    assert result.stderr == (
        f"v2.9-ft: TG201 says PyTorch 2.9, but --image {IMAGE} is PyTorch 2.8\n"
        f"    tagguard tag v2.8-ft -m \"...\" --image {IMAGE}\n"
    )


def test_reads_the_image_from_the_code_at_head(repo: Path) -> None:
    (repo / "Dockerfile").write_text("FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime\n")
    (repo / ".tagguard.toml").write_text("[image]\nfile = 'Dockerfile'\n")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "image", cwd=repo)
    head = git("rev-parse", "HEAD", cwd=repo)[:12]
    result = tagguard("tag", "v2.8-ft", "-m", "x", cwd=repo)
    assert result.returncode == 1
    assert result.stderr == (
        f"v2.8-ft: TG201 says PyTorch 2.8, but Dockerfile:1 at {head} says 2.9 "
        "(FROM pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime)\n"
        f"    name it for the image: git tag -a v2.9-ft {head} -m \"...\"\n"
    )
    assert tagguard("tag", "v2.9-ft", "-m", "x", cwd=repo).returncode == 0


def test_refuses_a_dirty_tree(repo: Path) -> None:
    (repo / "train.py").write_text("print('changed')\n")
    result = tagguard("tag", "v2.8-base", "-m", "x", cwd=repo)
    assert result.returncode == 2
    assert result.stderr == (
        "tagguard: error: the working tree has uncommitted changes (train.py); a tag must name the "
        "code that ran: commit them (git add -A && git commit -m \"...\") or set them aside "
        "(git stash -u), then tag\n"
    )
    git("checkout", "train.py", cwd=repo)
    for name in "abcd":
        (repo / f"{name}.py").write_text("")
    result = tagguard("tag", "v2.8-base", "-m", "x", cwd=repo)
    assert "(a.py, b.py, c.py and 1 more)" in result.stderr
    assert git("tag", "-l", cwd=repo) == ""


def test_refuses_an_existing_name(repo: Path) -> None:
    git("tag", "v2.8-base", cwd=repo)
    result = tagguard("tag", "v2.8-base", "-m", "x", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.startswith("tagguard: error: tag v2.8-base already exists (")
    assert "tags never move: pick a new name, e.g. tagguard tag v2.8-base-2 -m \"...\"" in result.stderr


def test_a_branch_named_like_the_tag_is_not_the_tag(repo: Path) -> None:
    """git's revision lookup finds refs/heads/refs/tags/v2.8-base for a missing tag of that name."""
    git("branch", "refs/tags/v2.8-base", cwd=repo)
    result = tagguard("tag", "v2.8-base", "-m", "x", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert git("tag", "-l", cwd=repo) == "v2.8-base"


def test_metric_and_message_errors(repo: Path) -> None:
    name_rule = "a metric name is a letter, then letters, digits and '-' (a git trailer key), at most 40 characters"
    cases = {
        ("acc",): "--metric 'acc': expected KEY=VALUE, such as --metric acc=0.932",
        ("val_loss=0.1",): f"--metric 'val_loss=0.1': {name_rule}; use --metric val-loss=0.1",
        ("5x=0.1",): f"--metric '5x=0.1': {name_rule}; use --metric x=0.1",
        ("a" * 41 + "=1",): f"--metric '{'a' * 41}=1': {name_rule}; use --metric {'a' * 40}=1",
        ("acc=0.9\n1",): "--metric 'acc=0.9\\n1': the value must be a number, such as 0.932, 1.5e-3 or 93.2%",
        ("acc=abc",): "--metric 'acc=abc': the value must be a number, such as 0.932, 1.5e-3 or 93.2%",
        ("acc=nan",): "--metric 'acc=nan': the value must be a number, such as 0.932, 1.5e-3 or 93.2%",
        ("acc=0.9", "f1=0.8", "ACC=0.91"): "--metric 'ACC=0.91': acc is given twice (also as 'acc=0.9'); "
                                           "give each metric once",
        ("val-loss=0.3", "Val-Loss=0.2"): "--metric 'Val-Loss=0.2': val_loss is given twice (also as "
                                          "'val-loss=0.3'); give each metric once",
    }
    for metrics, error in cases.items():
        options = [word for metric in metrics for word in ("--metric", metric)]
        result = tagguard("tag", "v2.8-base", "-m", "x", *options, cwd=repo)
        assert (result.returncode, result.stderr) == (2, f"tagguard: error: {error}\n")
    forged = tagguard("tag", "v2.8-base", "-m", "x", "--image", "pytorch/pytorch:2.8.0\nMetric-acc: 0.99", cwd=repo)
    assert (forged.returncode, forged.stderr) == (2, "tagguard: error: --image 'pytorch/pytorch:2.8.0\\nMetric-acc: "
                                                     "0.99': an image reference is one line of printable text\n")
    empty = tagguard("tag", "v2.8-base", "-m", "  ", cwd=repo)
    assert empty.stderr == "tagguard: error: the message is empty; say what the snapshot is: -m \"fine-tune, lr/2\"\n"
    assert git("tag", "-l", cwd=repo) == ""


def test_with_a_metrics_table_only_declared_metrics_are_written(repo: Path) -> None:
    policy = repo.parent / "policy.toml"
    policy.write_text("[metrics]\nacc = 'max'\nval_loss = 'min'\n")
    result = tagguard("tag", "v2.8-base", "-m", "x", "--metric", "acc=0.9", "--metric", "f1=0.8",
                      "--policy", str(policy), cwd=repo)
    assert (result.returncode, result.stderr) == (2, (
        f"tagguard: error: --metric 'f1=0.8': {policy} declares no metric f1 ([metrics]: acc, val_loss); "
        "declare it there, or leave it out\n"))
    made = tagguard("tag", "v2.8-base", "-m", "x", "--metric", "acc=93.2%", "--metric", "val-loss=1.5e-3",
                    "--policy", str(policy), cwd=repo)
    assert made.returncode == 0, made.stderr
    assert trailers(repo, "v2.8-base") == "Metric-acc: 93.2%\nMetric-val-loss: 1.5e-3"
    logged = tagguard("log", "--format", "json", "--policy", str(policy), cwd=repo)
    assert json.loads(logged.stdout)[0]["metrics"] == {"acc": 0.932, "val_loss": 0.0015}


def test_outside_a_repository_and_before_the_first_commit(tmp_path: Path) -> None:
    result = tagguard("tag", "v2.8-base", "-m", "x", cwd=tmp_path)
    assert result.stderr == f"tagguard: error: not a git repository: {tmp_path}; cd into a clone, then run `tagguard tag` there\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    git("init", "-q", cwd=empty)
    result = tagguard("tag", "v2.8-base", "-m", "x", cwd=empty)
    assert result.stderr == "tagguard: error: HEAD has no commit yet: commit the code first, then tag it\n"


def test_git_tg_alias_from_a_subdirectory(repo: Path) -> None:
    git("config", "alias.tg", "!tagguard tag", cwd=repo)
    (repo / "src").mkdir()
    (repo / "src" / ".keep").write_text("")
    git("add", "src", cwd=repo)
    git("commit", "-q", "-m", "src", cwd=repo)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = run("git", "tg", "v2.8-aug-v2", "-m", "new augmentation", "--metric", "acc=0.94",
                 cwd=repo / "src", env={"PATH": path})
    assert result.returncode == 0, result.stderr
    assert trailers(repo, "v2.8-aug-v2") == "Metric-acc: 0.94"
    (repo / "src" / "model.pth").write_bytes(b"w")  # a path from where the user is, not the top
    weights = run("git", "tg", "v2.8-aug-v3", "-m", "x", "--checkpoint", "model.pth", cwd=repo / "src",
                  env={"PATH": path})
    assert weights.returncode == 0, weights.stderr
    assert trailers(repo, "v2.8-aug-v3") == f"Checkpoint: sha256:{hashlib.sha256(b'w').hexdigest()} 1 model.pth"
    bad = run("git", "tg", "v2.8-augment", "-m", "x", cwd=repo, env={"PATH": path})
    assert bad.returncode == 1
    assert "did you mean 'v2.8-aug'?" in bad.stderr


IMAGE_29 = "pytorch/pytorch:2.9.0-cuda12.8-cudnn9-runtime"


def test_the_policy_decides_over_image_and_its_hint_is_accepted(repo: Path) -> None:
    (repo / ".tagguard.toml").write_text(f"[image]\nref = '{IMAGE}'\n")
    git("add", ".tagguard.toml", cwd=repo)
    git("commit", "-q", "-m", "policy", cwd=repo)
    result = tagguard("tag", "v2.8-ft-x", "-m", "x", "--image", IMAGE_29, cwd=repo)
    assert result.returncode == 1
    assert result.stderr == (
        f"v2.8-ft-x: TG201 --image {IMAGE_29} is PyTorch 2.9, but the policy says 2.8, and that decides\n"
        "    leave out --image (or pass one with PyTorch 2.8): tagguard tag v2.8-ft-x -m \"...\"\n"
    )
    paste(hints_of(result.stderr, "v2.8-ft-x")[0], repo)
    assert trailers(repo, "v2.8-ft-x") == f"Image: {IMAGE}"


def test_the_code_decides_over_image_and_its_image_is_recorded(repo: Path) -> None:
    (repo / "Dockerfile").write_text(f"FROM {IMAGE}\n")
    (repo / ".tagguard.toml").write_text("[image]\nfile = 'Dockerfile'\n")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "image", cwd=repo)
    result = tagguard("tag", "v2.8-ft-x", "-m", "x", "--image", IMAGE_29, cwd=repo)
    assert result.stderr.startswith(f"v2.8-ft-x: TG201 --image {IMAGE_29} is PyTorch 2.9, but Dockerfile:1 at HEAD "
                                    "says 2.8, and that decides\n")
    pasted = paste(hints_of(result.stderr, "v2.8-ft-x")[0], repo)
    assert pasted.stderr == ""
    assert trailers(repo, "v2.8-ft-x") == f"Image: Dockerfile:1: FROM {IMAGE}"


def test_with_several_allowed_versions_the_name_follows_image(repo: Path) -> None:
    (repo / ".tagguard.toml").write_text("[image]\npytorch = ['2.8', '2.9']\n")
    git("add", ".tagguard.toml", cwd=repo)
    git("commit", "-q", "-m", "policy", cwd=repo)
    result = tagguard("tag", "v2.8-ft-x", "-m", "x", "--image", IMAGE_29, cwd=repo)
    assert result.stderr == (
        f"v2.8-ft-x: TG201 says PyTorch 2.8, but --image {IMAGE_29} is PyTorch 2.9\n"
        f"    tagguard tag v2.9-ft-x -m \"...\" --image {IMAGE_29}\n"
    )
    paste(hints_of(result.stderr, "v2.8-ft-x")[0], repo)
    assert trailers(repo, "v2.9-ft-x") == f"Image: {IMAGE_29}"


def test_signing_without_a_usable_key_is_one_line(repo: Path) -> None:
    git("config", "gpg.program", str(repo / "no-gpg-here"), cwd=repo)
    result = tagguard("tag", "v2.8-base", "-m", "x", "-s", cwd=repo)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "tagguard: error: git could not sign the tag (no gpg, or no key for user.signingkey or your email): "
        "set one up (gpg --list-secret-keys; git config user.signingkey KEYID), or leave out -s\n"
    )
    assert git("tag", "-l", cwd=repo) == ""


def test_checkpoint_trailers_name_each_file_by_hash_size_and_path(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "runs" / "opt.pt"
    outside.parent.mkdir()
    outside.write_bytes(os.urandom(3 << 20))  # over the hashing chunk
    (repo / "out").mkdir()
    (repo / "out" / "model.pth").write_bytes(b"weights")  # untracked, in the work tree: the weights, not code
    result = tagguard("tag", "v2.8-ft", "-m", "x", "--checkpoint", "out/model.pth", "--checkpoint", str(outside),
                      cwd=repo)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 2  # torch can't read them (nor can tagguard without torch): each note names its file
    assert notes[0].startswith("note: out/model.pth: ") and notes[1].startswith(f"note: {outside}: ")
    assert all(n.endswith("; the tag vouches for it by its hash alone") for n in notes)
    expected = [f"Checkpoint: sha256:{hashlib.sha256(data).hexdigest()} {len(data)} {path}"
                for data, path in ((b"weights", "out/model.pth"), (outside.read_bytes(), str(outside)))]
    assert trailers(repo, "v2.8-ft").splitlines() == expected
    message = git("tag", "-l", "--format=%(contents)", "v2.8-ft", cwd=repo)
    assert [w.path for w in parse_weights(message)] == ["out/model.pth", str(outside)]


def test_checkpoint_from_a_subdirectory_and_other_untracked_files(repo: Path) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "model.pth").write_bytes(b"w")
    (repo / "notes.txt").write_text("scratch")
    refused = tagguard("tag", "v2.8-ft", "-m", "x", "--checkpoint", "model.pth", cwd=repo / "src")
    assert refused.returncode == 2 and "uncommitted changes (notes.txt)" in refused.stderr
    (repo / "notes.txt").unlink()
    made = tagguard("tag", "v2.8-ft", "-m", "x", "--checkpoint", "model.pth", cwd=repo / "src")
    assert made.returncode == 0, made.stderr
    assert trailers(repo, "v2.8-ft").endswith(" 1 model.pth")


def test_checkpoint_errors(repo: Path, tmp_path: Path) -> None:
    missing = tagguard("tag", "v2.8-ft", "-m", "x", "--checkpoint", "nope.pth", cwd=repo)
    assert (missing.returncode, missing.stderr) == (2, "tagguard: error: nope.pth: no such file\n")
    odd = tmp_path / "a\nb.pth"
    odd.write_bytes(b"w")
    bad = tagguard("tag", "v2.8-ft", "-m", "x", "--checkpoint", str(odd), cwd=repo)
    assert bad.returncode == 2
    assert bad.stderr.endswith("\\nb.pth: a checkpoint path must be one line of printable text\n")
    assert git("tag", "-l", cwd=repo) == ""


def test_refuses_weights_from_other_code(repo: Path, tmp_path: Path) -> None:
    trained_at = git("rev-parse", "HEAD", cwd=repo)
    saved = tmp_path / "model.json"  # what git_info() recorded, as a sidecar
    saved.write_text(json.dumps({"git_info": {"commit": trained_at, "dirty": True}}))
    dirty = tagguard("tag", "v2.8-ft", "-m", "x", "--checkpoint", str(saved), cwd=repo)
    assert (dirty.returncode, dirty.stderr) == (2, (
        f"tagguard: error: {saved}: its git_info says the code had uncommitted changes when it was saved; "
        "commit the code, train again, then tag\n"))
    saved.write_text(json.dumps({"git_info": {"commit": trained_at, "dirty": False}}))
    head = git("commit", "-q", "--allow-empty", "-m", "later", cwd=repo) or git("rev-parse", "HEAD", cwd=repo)
    other = tagguard("tag", "v2.8-ft", "-m", "x", "--checkpoint", str(saved), cwd=repo)
    assert other.returncode == 2 and f"trained at {trained_at[:12]}, not at HEAD ({head[:12]})" in other.stderr
    git("checkout", "-q", trained_at, cwd=repo)
    assert tagguard("tag", "v2.8-ft", "-m", "x", "--checkpoint", str(saved), cwd=repo).returncode == 0
