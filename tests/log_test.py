"""`tagguard log`: the history of conventional tags with their metrics, on real repositories."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from testing.ml import HAS_TORCH, git_commands, require, traced_git
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
    assert lines[0].split() == ["TAG", "DATE", "TAGGER", "TYPE", "DESC", "COMMIT", "IMAGE", "WEIGHTS", "acc", "loss", "f1"]
    commit = git("rev-list", "-n1", "v2.8-base", cwd=history)[:12]
    assert lines[1].split() == ["v2.8-base", "2025-02-01", "12:00", "Test", "User", "base", "-", commit, "-", "-",
                                "0.7", "1.9", "-"]
    assert lines[-1].split()[-5:] == ["pytorch/pytorch:2.8.0", "-", "0.9", "-", "0.88"]
    assert len(lines) == 22


def test_csv_quotes_cells_a_spreadsheet_would_run(repo: Path) -> None:
    tag(repo, "v2.8-ft-a", "=HYPERLINK(\"http://evil\",\"x\") acc=0.5")
    tag(repo, "v2.8-ft-b", "plain, with a comma\nacc=0.6", "2025-01-02T00:00:00Z")
    result = tagguard("log", "--format", "csv", cwd=repo)
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0] == ["tag", "date", "tagger", "type", "desc", "commit", "image", "weights", "acc", "subject"]
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


def test_html_options_that_need_more(history: Path) -> None:
    result = tagguard("log", "--x", "date", cwd=history)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "tagguard: error: --x sets the HTML report's x axis: add --html FILE (log --html report.html --x date)\n"
    result = tagguard("log", "--html", str(history / "r.html"), "--minimize", cwd=history)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("tagguard: error: --minimize and --maximize say which way --sort's or --best's metric is "
                             "better; for the HTML report, declare each metric's direction in the policy "
                             "([metrics] loss = \"min\")\n")
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


def lines_of(repo: Path, *args: str) -> list[str]:
    """`tagguard log ARGS` as table lines, after checking it succeeded quietly."""
    result = tagguard("log", *args, cwd=repo)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout.splitlines()


def tag_names(repo: Path, *args: str) -> list[object]:
    return [r["tag"] for r in rows(repo, *args)]


def test_filters_by_name_type_date_and_version_line(history: Path) -> None:
    commit(history, "move to 2.9", "2025-05-01T09:00:00Z")
    tag(history, "v2.9-base", "first on 2.9\nacc=0.95", "2025-05-01T10:00:00Z")
    tag(history, "v2.9-ft-a", "acc=0.97", "2025-05-02T10:00:00Z")
    tag(history, "v2.90-exp-x", "acc=0.99", "2025-05-03T10:00:00Z")  # another line, though v2.9* matches
    assert tag_names(history, "v2.9*") == ["v2.9-base", "v2.9-ft-a", "v2.90-exp-x"]
    assert tag_names(history, "--pytorch", "2.9") == ["v2.9-base", "v2.9-ft-a"]
    assert tag_names(history, "v2.9-*", "v2.8-prod*") == ["v2.8-prod-ready", "v2.9-base", "v2.9-ft-a"]
    assert tag_names(history, "--type", "base") == ["v2.8-base", "v2.9-base"]
    assert tag_names(history, "--since", "2025-04-01T12:00:00Z") == ["v2.8-prod-ready", "v2.9-base", "v2.9-ft-a",
                                                                 "v2.90-exp-x"]
    assert tag_names(history, "--since", "2025-04-02") == ["v2.9-base", "v2.9-ft-a", "v2.90-exp-x"]
    assert tag_names(history, "--since", "1d") == []  # every tag here is months old
    nothing = tagguard("log", "--since", "1d", cwd=history)
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (
        0, "", "no tag that follows the convention matches the filters\n")
    assert len(tag_names(history, "--since", "520w")) == 24
    assert lines_of(history, "--best", "acc", "--pytorch", "2.8") == ["v2.8-ft-w5r2"]
    assert lines_of(history, "v2.9-*", "--best", "acc") == ["v2.9-ft-a"]
    assert lines_of(history, "--type", "base", "--sort", "acc")[1].startswith("v2.9-base ")
    page = history.parent / "line.html"
    assert lines_of(history, "--pytorch", "2.9", "--html", str(page)) == [f"wrote {page}: 2 tags, 1 metric"]
    assert "v2.9-ft-a" in page.read_text() and "v2.8-" not in page.read_text()


def test_filter_errors(history: Path) -> None:
    cases = {
        ("--type", "fine"): "--type 'fine': not a type the policy allows (base, ft, aug, exp, experiment, eval, prod)",
        ("--pytorch", "2"): "--pytorch '2': expected a PyTorch major.minor, such as 2.9",
        ("--pytorch", "v2.9"): "--pytorch 'v2.9': expected a PyTorch major.minor, such as 2.9",
        ("--pytorch", "2.08"): "--pytorch '2.08': expected a PyTorch major.minor, such as 2.9",
        ("--since", "yesterday"): "--since 'yesterday': expected a date (2025-03-01, 2025-03-01T12:00) or an age "
                                  "(12h, 14d, 2w)",
        ("--since", "14y"): "--since: expected a number and a unit (m, h, d or w), such as 14d; got '14y'",
    }
    for args, error in cases.items():
        result = tagguard("log", *args, cwd=history)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", f"tagguard: error: {error}\n")
    huge = tagguard("log", "--pytorch", "2." + "9" * 5000, cwd=history)  # more digits than int() takes
    assert huge.returncode == 2 and huge.stderr.startswith("tagguard: error: --pytorch '2.999")
    assert huge.stderr.endswith("characters)': expected a PyTorch major.minor, such as 2.9\n")


def test_best_knows_which_way_is_better(repo: Path) -> None:
    for n, (loss, recon) in enumerate([(0.9, 5.0), (0.2, 9.0), (0.5, 1.0)]):
        tag(repo, f"v2.8-ft-r{n}", f"run {n}\n\nloss={loss}, recon={recon}", f"2025-01-0{n + 1}T00:00:00Z")
    assert lines_of(repo, "--best", "loss") == ["v2.8-ft-r1"]  # lower is better, without --minimize
    assert lines_of(repo, "--best", "loss", "--maximize") == ["v2.8-ft-r0"]
    assert [r["tag"] for r in rows(repo, "--sort", "loss")] == ["v2.8-ft-r1", "v2.8-ft-r2", "v2.8-ft-r0"]
    unknown = tagguard("log", "--best", "recon", cwd=repo)
    assert (unknown.returncode, unknown.stdout, unknown.stderr) == (2, "", (
        "tagguard: error: tagguard can't tell whether a higher or a lower recon is better: pass --maximize or "
        "--minimize, or declare it in the policy ([metrics] recon = \"max\")\n"))
    assert tagguard("log", "--sort", "recon", cwd=repo).returncode == 2
    assert lines_of(repo, "--best", "recon", "--minimize") == ["v2.8-ft-r2"]
    both = tagguard("log", "--best", "loss", "--minimize", "--maximize", cwd=repo)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_a_metrics_table_declares_the_metrics_and_their_direction(repo: Path) -> None:
    (repo / ".tagguard.toml").write_text("[metrics]\nrecon = 'min'\nacc = 'max'\nseed = 'max'\n")
    tag(repo, "v2.8-ft-a", "a\nacc=0.9, recon=5, seed: 3\n\nMetric-f1: 0.7\nImage: x:1", "2025-01-01T00:00:00Z")
    tag(repo, "v2.8-ft-b", "b\nacc=0.8, recon=2, seed: 4, f1=0.9", "2025-01-02T00:00:00Z")
    assert [r["metrics"] for r in rows(repo)] == [{"acc": 0.9, "recon": 5.0, "seed": 3.0},
                                                  {"acc": 0.8, "recon": 2.0, "seed": 4.0}]
    assert lines_of(repo)[0].split()[-3:] == ["acc", "recon", "seed"]
    assert lines_of(repo, "--best", "recon") == ["v2.8-ft-b"]
    assert lines_of(repo, "--best", "acc") == ["v2.8-ft-a"]
    undeclared = tagguard("log", "--best", "f1", cwd=repo)
    assert (undeclared.returncode, undeclared.stderr) == (2, (
        f"tagguard: error: 'f1' is not a metric the policy declares ([metrics] in {repo / '.tagguard.toml'}: "
        "recon, acc, seed)\n"))


def test_image_commit_and_weights_in_every_format(repo: Path, tmp_path: Path) -> None:
    require(HAS_TORCH, "torch (pip install torch==2.13.0)")
    work = tmp_path / "weights"
    (work / "runs").mkdir(parents=True)
    saved = run(sys.executable, "-c", "import torch; torch.save({'w': torch.ones(3, 3)}, 'model.pth'); "
                "torch.save({'w': torch.zeros(2)}, 'runs/ema model.pth')", cwd=work)
    assert saved.returncode == 0, saved.stderr
    files = [work / "model.pth", work / "runs" / "ema model.pth"]
    digests = [(hashlib.sha256(f.read_bytes()).hexdigest(), f.stat().st_size) for f in files]
    trailers = "\n".join(f"Checkpoint: sha256:{h} {size} {path}"
                         for (h, size), path in zip(digests, ["model.pth", "runs/ema model.pth"]))
    image = "nvcr.io/nvidia/pytorch:24.08-py3"
    tag(repo, "v2.8-ft-lr2", f"half lr\n\nImage: {image}\n{trailers}\nMetric-acc: 0.93", "2025-01-01T00:00:00Z")
    tag(repo, "v2.8-base", "baseline, acc=0.9", "2024-12-01T00:00:00Z")  # no image, no weights
    commit = git("rev-parse", "HEAD", cwd=repo)
    record = rows(repo)[1]
    assert (record["tag"], record["commit"], record["image"], record["metrics"]) == (
        "v2.8-ft-lr2", commit, image, {"acc": 0.93})
    assert record["weights"] == [{"sha256": h, "size": size, "path": path}
                                 for (h, size), path in zip(digests, ["model.pth", "runs/ema model.pth"])]
    assert (rows(repo)[0]["image"], rows(repo)[0]["weights"]) == (None, [])
    table = lines_of(repo)
    assert table[2].split("  ")[0] == "v2.8-ft-lr2"
    assert f"  {commit[:12]}  {image}  model.pth, runs/ema model.pth  0.93" in table[2]
    written = list(csv.DictReader(io.StringIO(tagguard("log", "--format", "csv", cwd=repo).stdout)))
    assert (written[1]["commit"], written[1]["image"]) == (commit, image)
    assert written[1]["weights"] == "; ".join(f"sha256:{h} {size} {path}" for (h, size), path
                                              in zip(digests, ["model.pth", "runs/ema model.pth"]))
    assert written[0]["weights"] == written[0]["image"] == ""
