"""Metrics in tag messages: the three written forms, and hostile text."""

from __future__ import annotations

import time

import pytest

from tagguard.ml.metrics import parse_metrics


@pytest.mark.parametrize(
    "message, expected",
    [
        ("fine-tune, lr/2: acc=0.932, f1=0.897", {"acc": 0.932, "f1": 0.897}),
        ("acc: 0.932\nval_loss = 1.5e-3", {"acc": 0.932, "val_loss": 0.0015}),
        ("done\n\nMetric-acc: 0.932\nMetric-top5.acc: 0.99\nImage: pytorch/pytorch:2.8.0", {"acc": 0.932, "top5.acc": 0.99}),
        ("Acc=93.2%", {"acc": 0.932}),
        ("delta=-0.5 gain=+2", {"delta": -0.5, "gain": 2.0}),
    ],
)
def test_the_written_forms(message: str, expected: dict[str, float]) -> None:
    assert parse_metrics(message) == expected


def test_a_trailer_overrides_the_text_and_order_is_first_seen() -> None:
    message = "acc=0.90, f1=0.80\n\nMetric-acc: 0.91\nMetric-loss: 0.3"
    assert list(parse_metrics(message).items()) == [("acc", 0.91), ("f1", 0.80), ("loss", 0.3)]


@pytest.mark.parametrize(
    "message",
    [
        "meeting at 10:30, ratio 3:1",  # no key before the number
        "see http://host:8080/x and v2.8-ft:abc",  # not numbers, or glued to words
        "acc=nan f1=inf loss=1e999 x=1.2.3 y=0.9abc",  # not finite, or not a number alone
        "Signed-off-by: A <a@example.com>",
        "",
    ],
)
def test_text_that_is_not_a_metric(message: str) -> None:
    assert parse_metrics(message) == {}


def test_hostile_input_is_linear() -> None:
    started = time.perf_counter()
    parse_metrics(("a" * 50_000 + "= ") * 20 + "a-" * 200_000 + "x" * 100 + "=1")
    assert time.perf_counter() - started < 2.0
