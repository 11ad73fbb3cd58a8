"""The repository's tags as a history: read with one `git for-each-ref`, oldest first.

`read_tags` returns every tag (prune needs the temporary ones); `snapshots` keeps those that
follow the naming convention and reads their messages: metrics, image and weights.
"""

from __future__ import annotations

from tagguard.errors import TagguardError
from tagguard.git.refs import short_name
from tagguard.git.repo import Git
from tagguard.git.tagobject import without_signature
from tagguard.lean import NamedTuple
from tagguard.ml.metrics import lower_is_better, parse_metrics
from tagguard.ml.trailers import image_of, split_trailers
from tagguard.ml.weights import Weights, parse_weights
from tagguard.patterns import glob_match
from tagguard.policy.model import Policy, metric_key
from tagguard.rules.naming import TagName, parse_name
from tagguard.safetext import shown

_FIELDS = (
    "refname",
    "objectname",
    "objecttype",
    "*objectname",
    "*objecttype",
    "taggername",
    "taggeremail",
    "creatordate:iso-strict",
    "creatordate:unix",
    "contents",
)


class TagInfo(NamedTuple):
    name: str
    oid: str  # what the ref points at: a tag object when annotated
    commit: str | None  # the commit it leads to (one level of peeling), if any
    annotated: bool
    tagger: str | None
    email: str | None
    date: str  # ISO 8601; the tagger's date, or the commit's for a lightweight tag
    timestamp: int
    message: str  # the annotated tag's message without its signature; "" when lightweight


class Snapshot(NamedTuple):
    """A tag that follows the convention, with what its name and message say."""

    tag: TagInfo
    parsed: TagName
    metrics: dict[str, float]
    image: str | None  # its `Image:` trailer
    weights: list[Weights]  # its `Checkpoint:` trailers


def read_tags(git: Git, points_at: str | None = None) -> list[TagInfo]:
    """All tags, oldest first (ties by name), from one `git for-each-ref`."""
    rows = git.for_each_ref(_FIELDS, sort=("refname", "creatordate"), points_at=points_at)
    return [_tag_info(row) for row in rows]


def _tag_info(row: list[str]) -> TagInfo:
    ref, oid, kind, peeled, peeled_kind, tagger, email, date, unix, contents = row
    annotated = kind == "tag"
    if annotated:
        commit = peeled if peeled_kind == "commit" else None
    else:
        commit = oid if kind == "commit" else None
    return TagInfo(
        short_name(ref),
        oid,
        commit,
        annotated,
        _text(tagger) if annotated else None,
        _text(email.strip("<>")) if annotated and email else None,
        date,
        int(unix) if unix.lstrip("-").isdigit() else 0,
        without_signature(contents).strip() if annotated else "",
    )


def _text(value: str) -> str:
    """Text from git for people: undecodable bytes become U+FFFD."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def snapshots(tags: list[TagInfo], policy: Policy) -> list[Snapshot]:
    """The tags that follow the naming convention (temporary ones excluded), in order."""
    found = []
    for tag in tags:
        if glob_match(tag.name, policy.naming.temporary) is not None:
            continue
        parsed = parse_name(tag.name, policy.naming)
        if isinstance(parsed, TagName):
            message = tag.message
            image = image_of(split_trailers(message)[1])
            found.append(Snapshot(tag, parsed, parse_metrics(message, policy.metrics), image, parse_weights(message)))
    return found


class Selection(NamedTuple):
    """`tagguard log`'s filters; an empty one keeps every snapshot."""

    patterns: tuple[str, ...] = ()  # globs over tag names; any may match
    type: str | None = None
    since: float | None = None  # a unix time; older tags are left out
    pytorch: str | None = None  # "X.Y": one version line


def select(history: list[Snapshot], selection: Selection) -> list[Snapshot]:
    return [s for s in history if _selected(s, selection)]


def _selected(snapshot: Snapshot, selection: Selection) -> bool:
    patterns, kind, since, pytorch = selection
    return ((not patterns or glob_match(snapshot.tag.name, patterns) is not None)
            and (kind is None or snapshot.parsed.type == kind)
            and (since is None or snapshot.tag.timestamp >= since)
            and (pytorch is None or snapshot.parsed.version == pytorch))


def metric_names(history: list[Snapshot]) -> list[str]:
    """Every metric that some snapshot records, in the order they first appear."""
    names: dict[str, None] = {}
    for snapshot in history:
        names.update(dict.fromkeys(snapshot.metrics))
    return list(names)


def ranked(history: list[Snapshot], metric: str, policy: Policy, flag: str | None = None) -> list[Snapshot]:
    """Best first by `metric` (which way is better: `flag`, "min" or "max", else
    `lower_is_better`); on a tie the newer tag comes first. Tags that don't record the
    metric follow, oldest first.

    Raises TagguardError when the policy does not declare the metric, or no tag records it
    (most likely a typo).
    """
    metric = metric_key(metric)
    declared = policy.metrics
    if declared is not None and metric not in declared:
        raise TagguardError(f"'{shown(metric)}' is not a metric the policy declares ([metrics] in "
                            f"{shown(policy.origin, limit=4096)}: {', '.join(declared)})")
    if not any(metric in s.metrics for s in history):
        found = ", ".join(metric_names(history)) or "none"
        raise TagguardError(f"no tag records the metric '{shown(metric)}' (metrics found: {found})")
    return best_first(history, metric, lower_is_better(metric, declared, flag))


def best_first(history: list[Snapshot], metric: str, lower: bool) -> list[Snapshot]:
    """`history` best first by `metric`, lower or higher being better; on a tie the newer tag
    comes first. Tags that don't record the metric follow, oldest first."""
    having = [(index, s) for index, s in enumerate(history) if metric in s.metrics]
    sign = 1 if lower else -1
    having.sort(key=lambda pair: (sign * pair[1].metrics[metric], -pair[0]))
    best = [s for _, s in having]
    return best + [s for s in history if metric not in s.metrics]
