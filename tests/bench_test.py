"""`python bench/run.py --quick`: the benchmark still runs end to end (its numbers are not judged)."""

from __future__ import annotations

import sys

from conftest import ROOT, run


def test_quick_benchmark_runs() -> None:
    result = run(sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--tags", "5", "--existing", "20",
                 "--big", "30")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("machine: ") and " cores " in lines[0]
    titles = [line.split(".")[0] for line in lines if line[:1].isdigit()]
    assert titles == ["1", "2", "3", "4", "5", "6"]
    rows = [line for line in lines if line.startswith("  ") and not line.startswith("   ")]
    assert len(rows) == 26 and all(row.endswith(("x no hook", "x bash hook", "x python -c pass")) for row in rows)
