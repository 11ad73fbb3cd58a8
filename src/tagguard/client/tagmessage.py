"""`tagguard tag`: the message of a snapshot tag, with the image, metrics and weights as git trailers.

A trailer is a `Key: value` line at the end of the message; `git interpret-trailers --parse`
and `git tag -l --format='%(trailers)'` read them back. Keys allow letters, digits and '-'
only, so a metric `val_loss` must be written `val-loss`.
"""

from __future__ import annotations

from tagguard.errors import TagguardError
from tagguard.lean import TYPE_CHECKING
from tagguard.ml.weights import weights_trailer
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tagguard.ml.weights import Weights

IMAGE_KEY = "Image"
METRIC_PREFIX = "Metric-"
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def parse_metric(item: str) -> tuple[str, str]:
    """`acc=0.932` -> ("acc", "0.932"), or a one-line error naming what is wrong."""
    key, sep, value = item.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        raise TagguardError(f"--metric '{shown(item)}': expected KEY=VALUE, such as --metric acc=0.932")
    if not _KEY_CHARS.issuperset(key) or key.startswith("-"):
        better = "".join(c if c in _KEY_CHARS else "-" for c in key).strip("-") or "name"
        raise TagguardError(
            f"--metric '{shown(item)}': a metric name has letters, digits and '-' only "
            f"(a git trailer key); use --metric {better}={shown(value)}"
        )
    if not value.isprintable():
        raise TagguardError(f"--metric '{shown(item)}': the value must be one line of text")
    return key, value


def tag_message(message: str, image: str | None, metrics: list[tuple[str, str]],
                checkpoints: Sequence[Weights] = ()) -> str:
    """The message, a blank line, then `Image:`, `Metric-<key>:` and `Checkpoint:` trailers."""
    trailers = [f"{IMAGE_KEY}: {image}"] if image else []
    trailers += [f"{METRIC_PREFIX}{key}: {value}" for key, value in metrics]
    trailers += [weights_trailer(weights) for weights in checkpoints]
    body = message.strip()
    return f"{body}\n\n" + "\n".join(trailers) + "\n" if trailers else f"{body}\n"
