"""The one way tagguard writes, recognises, keeps and removes hook files (client and server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from testing.tools import git

from tagguard.errors import NotARepository, TagguardError
from tagguard.git.repo import Git
from tagguard.hookfiles.files import CHAINED, MARKER, is_ours, keep_aside, remove_ours, restore, write_script

SCRIPT = f"#!/bin/sh\n{MARKER} test: ré\n"


@pytest.mark.parametrize("before", [None, 0o700, 0o777, 0o644])
def test_a_script_is_utf8_and_0755_whatever_the_umask_or_the_old_file(tmp_path: Path, before: int | None) -> None:
    path = tmp_path / "hooks" / "pre-receive"
    if before is not None:
        path.parent.mkdir()
        path.write_text("#!/bin/sh\n")
        path.chmod(before)
    umask = os.umask(0o077)
    try:
        write_script(str(path), SCRIPT)
    finally:
        os.umask(umask)
    assert path.read_bytes() == SCRIPT.encode("utf-8")
    assert path.stat().st_mode & 0o7777 == 0o755
    assert os.listdir(path.parent) == ["pre-receive"]  # no temporary file left


def test_a_foreign_hook_is_kept_aside_and_put_back(tmp_path: Path) -> None:
    path = tmp_path / "post-receive"
    path.write_text("#!/bin/sh\necho mine\n")
    assert keep_aside(str(path)) and not path.exists()
    write_script(str(path), SCRIPT)
    assert not keep_aside(str(path))  # ours: stays in place, rewritten by the caller
    assert (tmp_path / f"post-receive{CHAINED}").read_text() == "#!/bin/sh\necho mine\n"
    assert remove_ours(str(path)) and restore(str(path))
    assert path.read_text() == "#!/bin/sh\necho mine\n"
    assert not is_ours(str(path)) and not remove_ours(str(path)) and not restore(str(path))
    assert path.exists()


def test_a_taken_chain_slot_stops_the_install(tmp_path: Path) -> None:
    path = tmp_path / "pre-receive"
    path.write_text("#!/bin/sh\n")
    (tmp_path / f"pre-receive{CHAINED}").write_text("#!/bin/sh\n")
    with pytest.raises(TagguardError, match=r"pre-receive\.pre-tagguard exists already; move it or .* away"):
        keep_aside(str(path))
    assert path.read_text() == "#!/bin/sh\n"


def test_the_hooks_directory_is_absolute_and_honours_core_hooks_path(tmp_path: Path, repo: Path) -> None:
    (repo / "sub").mkdir()
    git("config", "core.hooksPath", ".githooks", cwd=repo)
    os.chdir(repo / "sub")
    layout = Git(".").layout()
    assert (layout.hooks, layout.git_dir, layout.work_tree) == (str(repo / ".githooks"), str(repo / ".git"), True)
    assert not Git(str(repo / ".git")).layout().work_tree
    with pytest.raises(NotARepository, match=r"^not a git repository: .*work$"):
        Git(str(tmp_path / "work")).layout()
