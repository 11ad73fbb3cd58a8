"""`tagguard tag`: the message of a snapshot tag, with the image, metrics and weights as git trailers.

A trailer is a `Key: value` line at the end of the message; `git interpret-trailers --parse`
and `git tag -l --format='%(trailers)'` read them back. Keys allow letters, digits and '-'
only, so a metric `val_loss` must be written `val-loss` (`tagguard log` reads it as `val_loss`).
Every metric given is one `tagguard log` will read back: a number, given once, and declared
when the policy has a [metrics] table.
"""

from __future__ import annotations

from tagguard.errors import TagguardError
from tagguard.lean import TYPE_CHECKING
from tagguard.ml.metrics import parse_value
from tagguard.ml.trailers import IMAGE_KEY, METRIC_PREFIX
from tagguard.ml.weights import weights_trailer
from tagguard.policy.model import MAX_METRIC_NAME, is_metric_name, metric_key
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tagguard.ml.weights import Weights
    from tagguard.policy.model import Policy

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def parse_metric_options(items: list[str], policy: Policy) -> list[tuple[str, str]]:
    """Each `--metric KEY=VALUE` as (key, value), or a one-line error naming the one that is wrong."""
    metrics: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for item in items:
        key, value = parse_metric(item)
        name = metric_key(key)
        if name in seen:
            raise TagguardError(f"--metric '{shown(item)}': {shown(name)} is given twice (also as "
                                f"'{shown(seen[name])}'); give each metric once")
        declared = policy.metrics
        if declared is not None and name not in declared:
            raise TagguardError(f"--metric '{shown(item)}': {shown(policy.origin, limit=4096)} declares no metric "
                                f"{shown(name)} ([metrics]: {', '.join(declared)}); declare it there, or leave it out")
        seen[name] = item
        metrics.append((key, value))
    return metrics


def check_image(image: str | None) -> None:
    """`--image` is one trailer line: a line break would write trailers of its own (a forged metric)."""
    if image is not None and not image.isprintable():
        raise TagguardError(f"--image '{shown(image)}': an image reference is one line of printable text")


def parse_metric(item: str) -> tuple[str, str]:
    """`acc=0.932` -> ("acc", "0.932"), or a one-line error naming what is wrong."""
    key, sep, value = item.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        raise TagguardError(f"--metric '{shown(item)}': expected KEY=VALUE, such as --metric acc=0.932")
    if not _KEY_CHARS.issuperset(key) or not is_metric_name(key):
        better = "".join(c if c in _KEY_CHARS else "-" for c in key).lstrip("-0123456789")
        better = better[:MAX_METRIC_NAME].strip("-") or "name"
        raise TagguardError(
            f"--metric '{shown(item)}': a metric name is a letter, then letters, digits and '-' (a git trailer "
            f"key), at most {MAX_METRIC_NAME} characters; use --metric {better}={shown(value)}"
        )
    if parse_value(value) is None:
        raise TagguardError(f"--metric '{shown(item)}': the value must be a number, such as 0.932, 1.5e-3 or 93.2%")
    return key, value


def tag_message(message: str, image: str | None, metrics: list[tuple[str, str]],
                checkpoints: Sequence[Weights] = ()) -> str:
    """The message, a blank line, then `Image:`, `Metric-<key>:` and `Checkpoint:` trailers."""
    trailers = [f"{IMAGE_KEY}: {image}"] if image else []
    trailers += [f"{METRIC_PREFIX}{key}: {value}" for key, value in metrics]
    trailers += [weights_trailer(weights) for weights in checkpoints]
    body = message.strip()
    return f"{body}\n\n" + "\n".join(trailers) + "\n" if trailers else f"{body}\n"
