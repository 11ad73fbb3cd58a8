"""The Dockerfile tricks of the issue, pushed for real to a server with tagguard's hooks: the
tag named for the image a naive reader sees is refused, the one named for the image Docker
builds lands."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.server import push, refused_image, remote_lines, server_tags, use_policy
from testing.tools import annotated, commit, git

T29 = "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime"
T28 = "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime"

TRICKS = {
    "heredoc body": f"FROM {T29}\nCOPY <<EOT /etc/motd\nFROM {T28}\nEOT\n",
    "blank line in a continuation": f"FROM {T29}\nRUN echo hi \\\n\nFROM {T28}\n",
    "escape directive": f"# escape=`\nFROM {T29}\nRUN dir C:\\ `\nFROM {T28}\n",
}


@pytest.mark.parametrize("trick", TRICKS)
def test_the_tag_named_for_a_misread_image_does_not_land(clone: Path, server: Path, trick: str) -> None:
    use_policy(server, '[image]\nfile = ["Dockerfile"]\n')
    (clone / "Dockerfile").write_text(TRICKS[trick])
    git("add", "Dockerfile", cwd=clone)
    head = commit(clone, "train on 2.9")
    annotated(clone, "v2.8-ft")
    annotated(clone, "v2.9-ft")
    refused = push(clone, "main", "v2.8-ft")
    assert refused.returncode == 1
    assert remote_lines(refused)[0] == (
        f"v2.8-ft: TG201 says PyTorch 2.8, but Dockerfile:{2 if trick == 'escape directive' else 1} "
        f"at {head[:12]} says 2.9 (FROM {T29})")
    assert server_tags(server) == {}
    assert push(clone, "main", "v2.9-ft").returncode == 0
    assert list(server_tags(server)) == ["v2.9-ft"]


def test_a_dockerfile_tagguard_cannot_be_sure_of_is_refused_with_the_line(clone: Path, server: Path) -> None:
    text = "ARG TORCH\nFROM pytorch/pytorch:${TORCH}-cuda12.8-cudnn9-runtime\n"
    head, line = refused_image(clone, server, "Dockerfile", {"Dockerfile": text})
    assert line == (
        f"v2.8-ft: TG202 Dockerfile:2 at {head[:12]}: ARG TORCH (line 1) has no default value, so tagguard "
        "can't tell which image FROM names; give it one (ARG TORCH=...) or name the version in the policy "
        'instead of a file ([image] pytorch = "X.Y") (FROM pytorch/pytorch:${TORCH}-cuda12.8-cudnn9-runtime)')
