"""`git/objects.py`: loose objects written by tagguard are the objects git itself writes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from testing.tools import git

from tagguard.git.objects import file_commit, write_object


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
@pytest.mark.parametrize("size", [0, 5, (1 << 20) + 7])  # empty, small (built-in hash), big (OpenSSL's)
def test_a_blob_gets_the_id_and_content_git_gives_it(tmp_path: Path, algorithm: str, size: int) -> None:
    repo = tmp_path / "repo.git"
    git("init", "-q", "--bare", f"--object-format={algorithm}", str(repo), cwd=tmp_path)
    data = bytes(i % 251 for i in range(size))
    pieces = [data[i : i + 4096] for i in range(0, size, 4096)]
    oid = write_object(str(repo / "objects"), "blob", size, pieces, algorithm)
    (tmp_path / "data").write_bytes(data)
    assert oid == git("hash-object", str(tmp_path / "data"), cwd=repo)
    assert subprocess.run(["git", "cat-file", "blob", oid], cwd=repo, capture_output=True, check=True).stdout == data
    assert list((repo / "objects").glob("tmp_obj_*")) == []


def test_a_size_that_disagrees_with_the_content_writes_nothing(tmp_path: Path) -> None:
    git("init", "-q", "--bare", str(tmp_path / "repo.git"), cwd=tmp_path)
    objects = tmp_path / "repo.git" / "objects"
    with pytest.raises(ValueError, match="3 bytes given for a size of 4"):
        write_object(str(objects), "blob", 4, [b"abc"], "sha1")
    assert sorted(p.name for p in objects.iterdir()) == ["info", "pack"]


def test_a_file_commit_passes_fsck_and_chains_on_its_parent(tmp_path: Path) -> None:
    repo = tmp_path / "repo.git"
    git("init", "-q", "--bare", str(repo), cwd=tmp_path)
    first = file_commit(str(repo / "objects"), "sha1", "records.jsonl", 4, [b"one\n"], None, "first\n", 1700000000)
    second = file_commit(str(repo / "objects"), "sha1", "records.jsonl", 4, [b"two\n"], first, "second\n", 1700000001)
    git("update-ref", "refs/x", second, cwd=repo)
    assert git("fsck", "--strict", "--no-dangling", cwd=repo) == ""
    assert git("log", "--format=%s %an <%ae> %at", "refs/x", cwd=repo).splitlines() == [
        "second tagguard <tagguard@invalid> 1700000001", "first tagguard <tagguard@invalid> 1700000000"]
    assert git("show", "refs/x:records.jsonl", cwd=repo) == "two"
