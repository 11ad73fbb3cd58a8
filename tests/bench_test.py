"""`python bench/run.py --quick`: the benchmark still runs end to end (its numbers are not judged)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from testing.tools import ROOT, bench, run


def test_quick_benchmark_runs() -> None:
    result = run(sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--tags", "5", "--existing", "20",
                 "--big", "30", "--huge", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("machine: ") and " cores " in lines[0]
    assert re.search(r", (ext4 with(out)? a journal|\w+) at /|file system unknown", lines[0])
    titles = [line.split(".")[0] for line in lines if line[:1].isdigit()]
    assert titles == ["1", "2", "3", "4", "5", "6", "7"]
    rows = [line for line in lines if line.startswith("  ") and not line.startswith("   ")]
    timing = re.compile(r".*x (no hook|bash hook|python -c pass)   \([0-9.]+ m?s to [0-9.]+ m?s\)")
    assert len(rows) == 40 and all(timing.fullmatch(row) or row.endswith("x target") for row in rows)
    assert sum(1 for row in rows if row.endswith("x target")) == 5
    small = lines.index("   the same push from a clone that holds only that tag (median of 3):")
    assert [line.split("  ")[1].strip() for line in lines[small + 1 : small + 4]] == ["no hook", "bash hook", "tagguard"]
    branches = lines.index("   a push of branches only: one created, then deleted (median of 3):")
    assert [line.split("  ")[1].strip() for line in lines[branches + 1 : branches + 5]] == [
        "no hook", "bash hook", "tagguard server hooks", "tagguard, pre-push too"]
    memory = lines[lines.index("peak memory of each hook (target: under 100 MB):") + 1 :]
    assert [row.split(",")[0].strip() for row in memory] == ["pre-receive", "post-receive", "pre-receive", "pre-receive",
                                                                "post-receive"]


@pytest.mark.parametrize("child_mib", [40, 60])
def test_peak_memory_sums_the_process_tree(tmp_path: Path, child_mib: int) -> None:
    """A hook's memory counts its children's: a Python holding 40 MiB while the Python it
    starts holds 40 or 60 MiB peaks at the sum, though neither process alone reaches it (two
    alike are still two processes)."""
    if bench()._shared(os.getpid(), os.getpid()) is not True:
        pytest.skip("this machine can't tell which processes share memory (kcmp): the bench counts the largest alone")
    child = f"import time; held = bytearray({child_mib} << 20); time.sleep(0.5)"
    parent = (f"import subprocess, sys; held = bytearray(40 << 20); "
              f"subprocess.run([sys.executable, '-c', {child!r}], check=True); print('done', end='')")
    out, peak = bench().tree_peak([sys.executable, "-c", parent], tmp_path, b"", dict(os.environ))
    assert out == b"done"
    assert (40 + child_mib) << 20 <= peak < (40 + child_mib + 30) << 20  # each counted once (Python itself: ~10 MiB)


def test_peak_memory_needs_the_exit_code_it_is_told(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="exited 3, not 0: no"):
        bench().tree_peak([sys.executable, "-c", "import sys; print('no', file=sys.stderr); sys.exit(3)"], tmp_path,
                          b"", dict(os.environ))
    with pytest.raises(SystemExit, match="could not be run"):
        bench().tree_peak([str(tmp_path / "missing")], tmp_path, b"", dict(os.environ))


def test_the_run_says_what_its_machine_could_not_measure(monkeypatch: pytest.MonkeyPatch) -> None:
    module = bench()
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setattr(module, "_KCMP", None)
    assert module.notes() == ["PYTHONDONTWRITEBYTECODE is set; start-up times include compiling",
                              "this machine can't tell which processes share memory (Linux's kcmp); a hook's peak "
                              "memory is its largest process's alone"]
