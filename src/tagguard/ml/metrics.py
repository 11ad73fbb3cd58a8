"""Metrics written in tag messages, read only where the text can mean nothing else.

- A `Metric-<name>: <number>` line (what `tagguard tag --metric` writes) is a metric.
- Other git trailers (`Image:`, `Checkpoint:`, `Seed:`; see ml/trailers.py) never are.
- In the text before the trailers, `name=number` and `name: number` (a space after the colon)
  are metrics when no word comes right before the name (it starts the line, or follows
  punctuation such as `,` `;` `:` `(`, or another metric) and the number ends there:
  `acc=0.932, f1=0.897`. So `val acc: 93.2%` (two words), `batch size: 256` and
  `pytorch:24.08-py3` are not, and neither are the hyperparameters in HYPERPARAMETERS.
- With a policy [metrics] table, only the names it declares are metrics (hyperparameters too,
  if declared).

Names are compared by `metric_key` (`Val-Loss` is `val_loss`). A value written with `%` is
stored as a fraction (`93.2%` is 0.932). Messages are untrusted: the patterns are linear,
names bounded, and only finite numbers count.
"""

from __future__ import annotations

import math
import re

from tagguard.errors import TagguardError
from tagguard.lean import TYPE_CHECKING
from tagguard.ml.trailers import METRIC_PREFIX, split_trailers
from tagguard.policy.model import MAX_METRIC_NAME, is_metric_name, metric_key
from tagguard.safetext import shown

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

HYPERPARAMETERS = frozenset({
    "seed", "epoch", "epochs", "step", "steps", "iter", "iters", "iteration", "iterations", "batch",
    "batch_size", "bs", "lr", "learning_rate", "wd", "weight_decay", "momentum", "warmup", "warmup_steps",
    "dropout", "workers", "num_workers", "gpus", "nodes"
})
_PREFIX = METRIC_PREFIX.lower()
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?"
_PAIR = re.compile(
    r"(?<![\w.\-/])([A-Za-z][\w.\-/]{0," + str(MAX_METRIC_NAME + len(_PREFIX)) + r"})(?:[ \t]*=[ \t]*|:[ \t]+)"
    r"(" + _NUMBER + r")(?=[\s,;)]|\.(?:\s|$)|$)"
)
_VALUE = re.compile(_NUMBER)


def parse_value(text: str) -> float | None:
    """`0.932`, `-1.5e-3` or `93.2%` (0.932) as a finite number; None for anything else."""
    if not _VALUE.fullmatch(text):
        return None
    value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    return value if math.isfinite(value) else None


def parse_metrics(message: str, declared: Mapping[str, str] | None = None) -> dict[str, float]:
    """The metrics a message records, in the order first seen; a later value of a name wins
    (trailers come last, so a trailer overrides the text). `declared`: the policy's [metrics]."""
    text, trailers = split_trailers(message)
    found = [pair for line in text.split("\n") for pair in _text_pairs(line)]
    found += [(key, value, True) for key, value in trailers if key.lower().startswith(_PREFIX)]
    metrics: dict[str, float] = {}
    for key, written, explicit in found:
        name, value = _name(key), parse_value(written)
        if name is None or value is None:
            continue
        wanted = name in declared if declared is not None else explicit or name not in HYPERPARAMETERS
        if wanted:
            metrics[name] = value  # an existing name keeps its place, takes the new value
    return metrics


def _text_pairs(line: str) -> Iterator[tuple[str, str, bool]]:
    """(key, number, explicit) for each metric on a line of free text."""
    end = 0
    for match in _PAIR.finditer(line):
        before = match.start() - 1
        while before >= end and line[before] in " \t":
            before -= 1
        if before >= end and (line[before].isalnum() or line[before] == "_"):
            continue  # `val acc: 0.9`, `batch size: 256`: a word before the name
        end = match.end()
        yield match[1], match[2], match[1].lower().startswith(_PREFIX)


def _name(key: str) -> str | None:
    """The metric's name: `Metric-` dropped, then `metric_key`; None when not a name."""
    if key.lower().startswith(_PREFIX):
        key = key[len(_PREFIX) :]
    return metric_key(key) if is_metric_name(key) else None


# Without a [metrics] table, which way is better is read from the name's last word
# (`val_loss` -> loss); a name in neither list needs --maximize, --minimize or a declaration.
LOWER_IS_BETTER = frozenset({
    "loss", "error", "err", "errors", "nll", "ppl", "perplexity", "mse", "mae", "rmse", "wer", "cer", "fid",
    "eer", "latency", "time", "seconds", "ms"
})
HIGHER_IS_BETTER = frozenset({
    "acc", "accuracy", "f1", "precision", "recall", "auc", "auroc", "map", "bleu", "rouge", "iou", "miou",
    "dice", "score", "top1", "top5", "psnr", "ssim", "r2"
})


def direction(name: str, declared: Mapping[str, str] | None, flag: str | None = None) -> str | None:
    """"min" or "max": `flag` (from --minimize/--maximize) first, then the policy, then the
    name; None when none of them tells."""
    return flag or (declared or {}).get(name) or _by_name(name)


def lower_is_better(name: str, declared: Mapping[str, str] | None, flag: str | None) -> bool:
    """`direction`, or an error saying how to tell it."""
    way = direction(name, declared, flag)
    if way is None:
        key = name if re.fullmatch(r"[\w-]+", name) else f'"{name}"'
        raise TagguardError(
            f"tagguard can't tell whether a higher or a lower {shown(name)} is better: pass --maximize or "
            f"--minimize, or declare it in the policy ([metrics] {shown(key)} = \"max\")"
        )
    return way == "min"


def _by_name(name: str) -> str | None:
    last = re.split(r"[_./]", name)[-1]
    if last in LOWER_IS_BETTER:
        return "min"
    return "max" if last in HIGHER_IS_BETTER else None
