"""`tagguard verify-checkpoint`: a real torch.save checkpoint (or JSON sidecar) against the repo.

Checkpoints are saved by training scripts run in one Python that imported torch once (`trainer`);
most checks run in this process, two by the installed console script."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Callable

import pytest
from testing.ml import HAS_TORCH, Trainer, git_commands, require, torch_version, traced_git
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
    assert checks(lines) == [("ok", "commit-known"), ("ok", "clean"), ("ok", "tag-intact"),
                             ("note", "weights-unvouched"), ("ok", "version-match")]
    head = git("rev-parse", "HEAD", cwd=repo)
    assert f"tag {name} still points at {head[:12]}" in lines[2]
    assert lines[3].endswith('no tag vouches for these weights (tagguard tag NAME -m "..." --checkpoint PATH records them)')
    assert lines[4].endswith(f"saved with PyTorch {torch_version()}, as {torch_tag()} says")
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


@pytest.mark.parametrize("shadow", [False, True])
def test_a_deleted_tag_fails(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify, shadow: bool) -> None:
    """Also with a branch named refs/tags/<the tag> on the same commit, which git's revision
    lookup would take for the missing tag."""
    tag(repo, f"{torch_tag()}-ft-gone", "acc=0.9")
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    git("tag", "-d", f"{torch_tag()}-ft-gone", cwd=repo)
    if shadow:
        git("branch", f"refs/tags/{torch_tag()}-ft-gone", cwd=repo)
    status, lines, _ = verify(ckpt, repo)
    assert status == 1 and ("FAIL", "tag-missing") in checks(lines)


def test_a_dirty_save_fails(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    tag(repo, f"{torch_tag()}-ft-lr2", "acc=0.9")
    (repo / "train.py").write_text("print('edited, not committed')\n")
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    git("checkout", "--", "train.py", cwd=repo)  # the tree is clean again; the checkpoint remembers
    status, lines, _ = verify(ckpt, repo)
    assert status == 1
    assert checks(lines) == [("ok", "commit-known"), ("FAIL", "dirty"), ("ok", "tag-intact"),
                             ("note", "weights-unvouched"), ("ok", "version-match")]
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
        ('{"weights": [1, 2]}', "no 'git_info' entry; save one with json.dump(tagguard.provenance.git_info(), f)"),
        ('{"git_info": {"commit": null, "tags": "v2.8"}}', "git_info.tags: expected a list of tag names or None"),
        ('{"git_info": {"commit": null, "tags": ["v2.8", "-x"]}}', "git_info.tag: '-x' is not a tag name"),
        ('{"git_info": {"commit": null, "untracked": 1}}', "git_info.untracked: expected true, false or None"),
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
    long = Path("runs") / ("a-long-experiment-name-" * 5) / "model.pth"  # a path is shown whole, however long
    assert verify(long, repo)[2] == f"tagguard: error: {long}: no such file\n"


def test_loading_is_safe_code_in_a_checkpoint_never_runs(repo: Path, tmp_path: Path, trainer: Trainer) -> None:
    marker = tmp_path / "pwned"
    evil_class = f"import os\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch {marker}',))\n"
    evil = TRAIN.replace('"epoch": 3,', '"epoch": Evil(),').replace("model = ", evil_class + "model = ")
    ckpt = train(trainer, repo, tmp_path / "evil.pth", evil)
    status, lines, err = verify_script(ckpt, repo)
    assert (status, lines) == (2, [])
    assert err.startswith(f"tagguard: error: {ckpt}: can't be read as a torch checkpoint: ")
    assert len(err.splitlines()) == 1 and not marker.exists()
    assert err.endswith(f": {torch_error(ckpt)}\n")  # all of torch's message, its lines joined


def torch_error(path: Path) -> str:
    """What torch.load(path, weights_only=True) says, its lines joined by a space."""
    script = ("import sys, torch\ntry:\n    torch.load(sys.argv[1], weights_only=True)\n"
              "except Exception as exc:\n    print(' '.join(l.strip() for l in str(exc).splitlines() if l.strip()))")
    return run(sys.executable, "-W", "ignore", "-c", script, str(path)).stdout.strip()


def test_a_checkpoint_in_the_old_format_is_read_whole(repo: Path, tmp_path: Path, trainer: Trainer) -> None:
    old = TRAIN.replace("sys.argv[1])", "sys.argv[1], _use_new_zipfile_serialization=False)")
    ckpt = train(trainer, repo, tmp_path / "old.pth", old)
    assert not ckpt.read_bytes().startswith(b"PK")  # a bare pickle, which torch can't map
    status, lines, _ = verify_script(ckpt, repo)
    assert status == 0 and lines[-1] == f"{ckpt}: provenance ok"


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
        f"tagguard: error: {ckpt}: reading a torch checkpoint needs PyTorch: pip install 'tagguard[torch]' "
        "(or pass the checkpoint's JSON sidecar)\n")


# --- the weights a tag vouches for --------------------------------------------------------

def tag_weights(repo: Path, name: str, *paths: Path) -> None:
    """`tagguard tag NAME --checkpoint PATH...`, by the installed console script."""
    made = tagguard("tag", name, "-m", "trained", *(f"--checkpoint={p}" for p in paths), cwd=repo)
    assert made.returncode == 0, made.stderr


def test_a_tag_made_after_training_vouches_for_the_earlier_checkpoint(
    repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify
) -> None:
    ckpt = train(trainer, repo, tmp_path / "model.pth")  # saved before any tag exists
    status, lines, _ = verify(ckpt, repo)
    assert status == 0
    assert checks(lines)[2:] == [("note", "untagged"), ("note", "weights-unvouched"), ("note", "version-unknown")]
    name = f"{torch_tag()}-ft-later"
    tag_weights(repo, name, ckpt)
    status, lines, _ = verify(ckpt, repo)
    assert status == 0, lines
    assert checks(lines) == [("ok", "commit-known"), ("ok", "clean"), ("ok", "weights-vouched"), ("ok", "version-match")]
    assert lines[2].endswith(f"tag {name} vouches for these weights (their SHA-256)")
    copy = tmp_path / "elsewhere" / "renamed.pth"  # the hash is the identity, not the path
    copy.parent.mkdir()
    copy.write_bytes(ckpt.read_bytes())
    assert checks(verify(copy, repo)[1])[2] == ("ok", "weights-vouched")


def test_several_tags_vouch_for_one_file(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    first, second = f"{torch_tag()}-ft-a", f"{torch_tag()}-prod-ready"
    tag_weights(repo, first, ckpt)
    tag_weights(repo, second, ckpt, tmp_path / "model.pth")  # the same file twice: one trailer each, one match
    _status, lines, _ = verify(ckpt, repo)
    assert checks(lines)[2] == ("ok", "weights-vouched")
    assert lines[2].endswith(f"tags {first}, {second} vouch for these weights (their SHA-256)")


def test_a_tag_vouching_from_another_commit_fails(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    from tagguard.ml.weights import hash_weights, weights_trailer

    trained_at = git("rev-parse", "HEAD", cwd=repo)
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    later = commit(repo, "code changed after training")
    refused = tagguard("tag", f"{torch_tag()}-ft-wrong", "-m", "x", "--checkpoint", str(ckpt), cwd=repo)
    assert (refused.returncode, refused.stderr) == (2, (
        f"tagguard: error: {ckpt}: its git_info says it was trained at {trained_at[:12]}, not at HEAD "
        f"({later[:12]}); tag the commit that trained it: git checkout {trained_at[:12]}, then tagguard tag again\n"))
    trailer = weights_trailer(hash_weights(str(ckpt)))  # plain git can still write such a tag
    git("tag", "-a", f"{torch_tag()}-ft-wrong", "-m", f"x\n\n{trailer}", cwd=repo)
    status, lines, _ = verify(ckpt, repo)
    assert status == 1
    assert ("FAIL", "weights-elsewhere") in checks(lines)
    assert (f"tag {torch_tag()}-ft-wrong at {later[:12]} vouches for these weights, but they were trained at "
            f"{trained_at[:12]}") in "\n".join(lines)
    assert lines[-1] == f"{ckpt}: 1 problem(s)"


def test_a_lightweight_tag_never_vouches(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    from tagguard.ml.weights import hash_weights, weights_trailer

    ckpt = train(trainer, repo, tmp_path / "model.pth")
    trailer = weights_trailer(hash_weights(str(ckpt)))
    git("commit", "-q", "--allow-empty", "-m", f"results\n\n{trailer}", cwd=repo)  # a commit message is no tag's
    git("tag", f"{torch_tag()}-exp-light", cwd=repo)
    _status, lines, _ = verify(ckpt, repo)
    assert ("note", "weights-unvouched") in checks(lines)


def test_every_tag_on_the_commit_is_checked(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    kept, moved = f"{torch_tag()}-ft-a", f"{torch_tag()}-ft-b"
    tag(repo, kept, "a")
    tag(repo, moved, "b")  # sibling tags, one second apart at most: git_info names both
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    commit(repo, "later")
    git("tag", "-f", "-a", moved, "-m", "moved", cwd=repo)
    status, lines, _ = verify(ckpt, repo)
    assert status == 1
    assert checks(lines)[2:4] == [("FAIL", "tag-moved"), ("ok", "tag-intact")]  # newest first
    assert f"tag {moved} now points at" in lines[2] and f"tag {kept} still points at" in lines[3]


def test_an_older_checkpoint_with_only_tag_is_read(repo: Path, tmp_path: Path, verify: Verify) -> None:
    tag(repo, "v2.8-ft-old", "a")
    old = sidecar(repo, tmp_path / "old.json")
    document = json.loads(old.read_text())
    del document["tags"], document["untracked"]  # what tagguard wrote before they existed
    old.write_text(json.dumps(document))
    _status, lines, _ = verify(old, repo)
    assert ("ok", "tag-intact") in checks(lines)
    git("tag", "-d", "v2.8-ft-old", cwd=repo)
    assert ("FAIL", "tag-missing") in checks(verify(old, repo)[1])


def test_several_paths_and_json(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    tag_weights(repo, f"{torch_tag()}-ft-json", ckpt)
    info = sidecar(repo, tmp_path / "model.json")
    status, lines, err = verify(ckpt, repo, str(info))
    assert (status, err) == (0, "")
    assert [line for line in lines if ": " in line and not line.startswith(("ok", "note"))] == [
        f"{ckpt}: provenance ok", f"{info}: provenance ok"]
    status, out, err = verify(ckpt, repo, str(tmp_path / "gone.pth"), str(info), "--format", "json")
    assert (status, err) == (2, "")
    document = json.loads("\n".join(out))
    assert document["ok"] is False
    first, gone, side = document["files"]
    assert (first["ok"], first["kind"], first["size"], first["error"]) == (True, "torch", ckpt.stat().st_size, None)
    assert first["sha256"] == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert first["git_info"]["commit"] == git("rev-parse", "HEAD", cwd=repo)
    assert {"status": "ok", "code": "weights-vouched",
            "message": f"tag {torch_tag()}-ft-json vouches for these weights (their SHA-256)"} in first["findings"]
    assert (gone["ok"], gone["error"], gone["findings"]) == (False, f"{tmp_path / 'gone.pth'}: no such file", [])
    assert (side["ok"], side["kind"], side["sha256"]) == (True, "json", None)  # a sidecar has no weights
    assert [f["code"] for f in side["findings"]] == ["commit-known", "clean", "tag-intact", "version-unknown"]


def test_a_bad_file_among_good_ones_exits_2_and_the_rest_are_checked(repo: Path, tmp_path: Path, verify: Verify) -> None:
    good = sidecar(repo, tmp_path / "good.json")
    status, lines, err = verify(tmp_path / "nope.pth", repo, str(good))
    assert status == 2 and err == f"tagguard: error: {tmp_path / 'nope.pth'}: no such file\n"
    assert lines[-1] == f"{good}: provenance ok"


# --- safetensors --------------------------------------------------------------------------

SAFETENSORS = """
import sys, warnings
warnings.simplefilter("ignore")
import torch
from safetensors.torch import save_file
from tagguard.provenance import safetensors_metadata
model = torch.nn.Linear(4, 2)
save_file(model.state_dict(), sys.argv[1], metadata=safetensors_metadata())
"""


def test_safetensors_written_by_the_real_package(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    require(importlib.util.find_spec("safetensors"), "safetensors (pip install -e '.[test]')")
    ckpt = train(trainer, repo, tmp_path / "model.safetensors", SAFETENSORS)
    tag_weights(repo, f"{torch_tag()}-ft-st", ckpt)
    status, lines, _ = verify(ckpt, repo)
    assert status == 0, lines
    assert checks(lines) == [("ok", "commit-known"), ("ok", "clean"), ("ok", "weights-vouched"), ("ok", "version-match")]
    bare = train(trainer, repo, tmp_path / "bare.safetensors",
                 SAFETENSORS.replace("metadata=safetensors_metadata()", "metadata={'format': 'pt'}"))
    status, _, err = verify(bare, repo)
    assert (status, err) == (2, f"tagguard: error: {bare}: no 'git_info' entry; save one with save_file(tensors, PATH, "
                                "metadata=tagguard.provenance.safetensors_metadata())\n")
    train(trainer, repo, repo / "broken.st",
          SAFETENSORS.replace("metadata=safetensors_metadata()", "metadata={'git_info': '{oops'}"))
    assert verify(Path("broken.st"), repo)[2] == "tagguard: error: broken.st: __metadata__.git_info is not a JSON string\n"


def test_safetensors_needs_no_torch_to_verify(repo: Path, tmp_path: Path, trainer: Trainer) -> None:
    require(importlib.util.find_spec("safetensors"), "safetensors (pip install -e '.[test]')")
    ckpt = train(trainer, repo, tmp_path / "model.safetensors", SAFETENSORS)
    # -S: an interpreter without site-packages (no torch, no safetensors); tagguard from src
    result = run(sys.executable, "-S", "-m", "tagguard", "verify-checkpoint", str(ckpt), cwd=repo,
                 env={"PYTHONPATH": str(ROOT / "src")})
    assert (result.returncode, result.stderr) == (0, ""), result.stdout
    assert result.stdout.splitlines()[-1] == f"{ckpt}: provenance ok"


def safetensors_like(path: Path, header: bytes, size: int | None = None) -> Path:
    """A file shaped like safetensors: the 8-byte header size, then `header`."""
    path.write_bytes(len(header).to_bytes(8, "little") if size is None else size.to_bytes(8, "little"))
    with path.open("ab") as f:
        f.write(header)
        f.truncate(8 + max(size or 0, len(header)))  # sparse: no disk for a "huge" header
    return path


def test_a_safetensors_header_is_bounded_and_checked(repo: Path, tmp_path: Path, verify: Verify) -> None:
    from tagguard.ml.checkpoint import MAX_HEADER

    safetensors_like(repo / "huge.st", b"{", MAX_HEADER + 1)
    assert verify(Path("huge.st"), repo)[2] == (f"tagguard: error: huge.st: a safetensors header of {MAX_HEADER + 1} "
                                                f"bytes is over the format's limit ({MAX_HEADER}); the file is damaged\n")
    safetensors_like(repo / "garbled.st", b'{"__metadata__": ')
    assert verify(Path("garbled.st"), repo)[2] == ("tagguard: error: garbled.st: the safetensors header is not a JSON "
                                                   "object; the file is damaged\n")


# --- reading a checkpoint without its weights ----------------------------------------------

PEAK = """
import resource, sys
from tagguard.cli import main
code = main(["verify-checkpoint", *sys.argv[1:]])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, file=sys.stderr)  # (Linux: KiB)
"""


def peak_memory(repo: Path, path: Path) -> int:
    """The peak resident memory, in bytes, of a process that verifies `path`."""
    result = run(sys.executable, "-c", PEAK, str(path), cwd=repo)
    assert result.returncode == 0, result.stderr
    return int(result.stderr.splitlines()[-1])


def test_a_big_checkpoint_is_verified_without_reading_its_weights_into_memory(
    repo: Path, tmp_path: Path, trainer: Trainer
) -> None:
    big = TRAIN.replace("model = torch.nn.Linear(4, 2)", "model = torch.nn.Linear(75_000, 1000)")  # 300 MB of float32
    small = train(trainer, repo, tmp_path / "small.pth")
    large = train(trainer, repo, tmp_path / "large.pth", big)
    size = large.stat().st_size
    assert size > 300_000_000
    grown = peak_memory(repo, large) - peak_memory(repo, small)  # both pay for importing torch
    assert grown < size // 10, f"verifying a {size >> 20} MiB checkpoint took {grown >> 20} MiB more memory"
    large.unlink()


def test_untracked_files_at_save_time_are_a_note(repo: Path, tmp_path: Path, verify: Verify) -> None:
    (repo / "local_config.py").write_text("lr = 0.5\n")
    saved = sidecar(repo, tmp_path / "info.json")
    status, lines, _ = verify(saved, repo)
    assert status == 0
    assert checks(lines)[:3] == [("ok", "commit-known"), ("ok", "clean"), ("note", "untracked")]
    assert lines[2].endswith("the work tree had untracked files when it was saved; code among them is in no commit")


def test_json_shows_only_the_git_info_keys(repo: Path, tmp_path: Path, trainer: Trainer, verify: Verify) -> None:
    extra = TRAIN.replace('"git_info": git_info()', '"git_info": {**git_info(), "weights": torch.ones(2)}')
    ckpt = train(trainer, repo, tmp_path / "extra.pth", extra)
    status, out, _ = verify(ckpt, repo, "--format", "json")
    assert status == 0
    shown = json.loads("\n".join(out))["files"][0]["git_info"]
    assert "weights" not in shown and shown["commit"] == git("rev-parse", "HEAD", cwd=repo)


def test_all_tags_are_read_in_a_few_git_calls(repo: Path, tmp_path: Path, trainer: Trainer) -> None:
    ckpt = train(trainer, repo, tmp_path / "model.pth")
    for number in range(30):
        tag(repo, f"v2.8-exp-{number}", f"run {number}\n\nCheckpoint: sha256:{number:064x} 1 other.pth")
    tag_weights(repo, f"{torch_tag()}-ft-found", ckpt)
    env, calls = traced_git(tmp_path)
    done = tagguard("verify-checkpoint", str(ckpt), str(ckpt), cwd=repo, env=env)
    assert done.returncode == 0, done.stdout
    assert done.stdout.count(f"tag {torch_tag()}-ft-found vouches for these weights") == 2
    commands = git_commands(calls)
    assert commands.count("for-each-ref") == 1, commands  # every tag's message, once for both files
    assert len(commands) <= 6, commands


def test_a_torch_checkpoint_without_git_info(repo: Path, trainer: Trainer, verify: Verify) -> None:
    train(trainer, repo, repo / "bare.pth", TRAIN.replace(', "git_info": git_info()', ""))
    status, lines, err = verify(Path("bare.pth"), repo)
    assert (status, lines) == (2, [])
    assert err == ("tagguard: error: bare.pth: no 'git_info' entry; save one with "
                   "torch.save({..., \"git_info\": tagguard.provenance.git_info()}, PATH)\n")
