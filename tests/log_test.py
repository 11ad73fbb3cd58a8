"""`tagguard log`: the history of conventional tags with their metrics, on real repositories."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from testing.ml import git_commands, traced_git
from testing.tools import commit, git, isolated, run, tag, tagguard


@pytest.fixture(scope="module")
def history_template(tmp_path_factory: pytest.TempPathFactory, templates: Path) -> Path:
    """Twenty conventional tags over six weeks (created out of name order), plus noise."""
    base = tmp_path_factory.mktemp("history")
    repo = Path(shutil.copytree(templates / "repo", base / "repo", symlinks=True))
    with isolated(base / "home"):
        make_history(repo)
    return repo


@pytest.fixture
def history(history_template: Path, tmp_path: Path) -> Path:
    """A copy of `history_template` at tmp_path/repo."""
    return Path(shutil.copytree(history_template, tmp_path / "repo", symlinks=True))


def make_history(repo: Path) -> None:
    for week in range(6):
        commit(repo, f"week {week}", f"2025-03-{week * 4 + 1:02d}T09:00:00Z")
        for attempt in range(3):
            day = f"2025-03-{week * 4 + 1:02d}T1{attempt}:00:00Z"
            acc = 0.80 + week * 0.02 + attempt * 0.005
            message = f"week {week} run {attempt}\n\nacc={acc:.3f}, f1={acc - 0.05:.3f}"
            tag(repo, f"v2.8-ft-w{week}r{attempt}", message, day)
    tag(repo, "v2.8-base", "first convergence\nacc: 0.700\nloss: 1.9", "2025-02-01T12:00:00Z")
    tag(repo, "v2.8-prod-ready", "ship it\n\nMetric-acc: 0.9\nMetric-f1: 0.88\nImage: pytorch/pytorch:2.8.0",
        "2025-04-01T12:00:00Z")
    tag(repo, "v2.8-exp-light")  # lightweight: no tagger, no message, the commit's date
    tag(repo, "tmp-scratch", "acc=0.999", "2025-04-02T12:00:00Z")  # temporary: not history
    tag(repo, "release-1", "acc=0.999", "2025-04-02T12:00:00Z")  # not the convention


def rows(repo: Path, *args: str) -> list[dict[str, object]]:
    result = tagguard("log", "--format", "json", *args, cwd=repo)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_oldest_to_newest_with_everything_parsed(history: Path) -> None:
    records = rows(history)
    names = [r["tag"] for r in records]
    assert len(names) == 21
    assert names[0] == "v2.8-base" and names[-1] == "v2.8-prod-ready"
    # a lightweight tag has no date of its own: it sorts by its commit's
    assert names.index("v2.8-exp-light") == names.index("v2.8-ft-w5r0") - 1
    assert names[1:4] == ["v2.8-ft-w0r0", "v2.8-ft-w0r1", "v2.8-ft-w0r2"]
    assert "tmp-scratch" not in names and "release-1" not in names
    base = records[0]
    assert base["metrics"] == {"acc": 0.7, "loss": 1.9}
    assert (base["tagger"], base["email"], base["type"], base["desc"], base["version"]) == (
        "Test User", "test@example.com", "base", None, "2.8")
    assert base["date"] == "2025-02-01T12:00:00+00:00"
    assert base["commit"] == git("rev-list", "-n1", "v2.8-base", cwd=history)
    prod = records[-1]
    assert prod["metrics"] == {"acc": 0.9, "f1": 0.88}
    assert prod["message"].startswith("ship it\n")
    light = records[names.index("v2.8-exp-light")]
    assert (light["annotated"], light["tagger"], light["message"], light["metrics"]) == (False, None, "", {})


def test_table(history: Path) -> None:
    result = tagguard("log", cwd=history)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TAG", "DATE", "TAGGER", "TYPE", "DESC", "acc", "loss", "f1"]
    assert lines[1].split() == ["v2.8-base", "2025-02-01", "12:00", "Test", "User", "base", "-", "0.7", "1.9", "-"]
    assert lines[-1].split()[-3:] == ["0.9", "-", "0.88"]
    assert len(lines) == 22


def test_csv_quotes_cells_a_spreadsheet_would_run(repo: Path) -> None:
    tag(repo, "v2.8-ft-a", "=HYPERLINK(\"http://evil\",\"x\") acc=0.5")
    tag(repo, "v2.8-ft-b", "plain, with a comma\nacc=0.6", "2025-01-02T00:00:00Z")
    result = tagguard("log", "--format", "csv", cwd=repo)
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0] == ["tag", "date", "tagger", "type", "desc", "commit", "acc", "subject"]
    assert table[1][-2:] == ["0.5", "'=HYPERLINK(\"http://evil\",\"x\") acc=0.5"]
    assert table[2][-1] == "plain, with a comma"


def test_sort_puts_the_best_first_and_tags_without_the_metric_last(history: Path) -> None:
    names = [r["tag"] for r in rows(history, "--sort", "acc")]
    assert names[:3] == ["v2.8-ft-w5r2", "v2.8-ft-w5r1", "v2.8-prod-ready"]
    assert names[-2:] == ["v2.8-base", "v2.8-exp-light"]
    by_loss = [r["tag"] for r in rows(history, "--sort", "loss", "--minimize")]
    assert by_loss[0] == "v2.8-base" and len(by_loss) == 21


def test_best_prints_one_name_and_ties_go_to_the_newer_tag(history: Path) -> None:
    result = tagguard("log", "--best", "acc", cwd=history)
    assert (result.returncode, result.stdout) == (0, "v2.8-ft-w5r2\n")
    tag(history, "v2.8-ft-rerun", "same score, later\nacc=0.910", "2025-05-01T00:00:00Z")
    assert tagguard("log", "--best", "ACC", cwd=history).stdout == "v2.8-ft-rerun\n"
    assert tagguard("log", "--best", "loss", "--minimize", cwd=history).stdout == "v2.8-base\n"
    best = rows(history, "--best", "f1")
    assert [r["tag"] for r in best] == ["v2.8-prod-ready"]


def test_minimize_names_the_metrics_where_lower_is_better(history: Path) -> None:
    assert tagguard("log", "--best", "loss", "--minimize", "loss", cwd=history).stdout == "v2.8-base\n"
    assert tagguard("log", "--best", "acc", "--minimize", "LOSS", cwd=history).stdout == "v2.8-ft-w5r2\n"
    by_acc = [r["tag"] for r in rows(history, "--sort", "acc", "--minimize", "acc", "--minimize", "loss")]
    assert by_acc[0] == "v2.8-base"


def test_html_options_that_need_more(history: Path) -> None:
    result = tagguard("log", "--x", "date", cwd=history)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "tagguard: error: --x sets the HTML report's x axis: add --html FILE (log --html report.html --x date)\n"
    result = tagguard("log", "--html", str(history / "r.html"), "--minimize", cwd=history)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "tagguard: error: --minimize needs a metric name with --html (log --html report.html --minimize loss)\n"
    assert not (history / "r.html").exists()


def test_best_with_a_metric_no_tag_records(history: Path) -> None:
    result = tagguard("log", "--best", "bleu", cwd=history)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "tagguard: error: no tag records the metric 'bleu' (metrics found: acc, loss, f1)\n"


def test_empty_history_and_not_a_repository(repo: Path, tmp_path: Path) -> None:
    tag(repo, "wip-1", "acc=1")
    result = tagguard("log", cwd=repo)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "no tags follow the convention v<major>.<minor>[-type][-desc]\n"
    assert rows(repo) == []
    outside = tmp_path / "plain"
    outside.mkdir()
    result = tagguard("log", cwd=outside)
    assert result.returncode == 2
    assert result.stderr == f"tagguard: error: not a git repository: {outside}; cd into a clone, or pass its path: --repo DIR\n"


def test_hostile_tagger_and_message_stay_on_their_line(repo: Path) -> None:
    env = {"GIT_COMMITTER_NAME": "Eve \x1b[2J"}
    made = run("git", "tag", "-a", "v2.8-ft-x", "-m", "\x1b]0;pwned\x07 acc=0.5", cwd=repo, env=env)
    assert made.returncode == 0
    result = tagguard("log", cwd=repo)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert len(result.stdout.splitlines()) == 2


def test_one_git_process_reads_the_whole_history(history: Path, tmp_path: Path) -> None:
    env, calls = traced_git(tmp_path)
    assert tagguard("log", "--format", "json", cwd=history, env=env).returncode == 0
    assert git_commands(calls) == ["for-each-ref"]
