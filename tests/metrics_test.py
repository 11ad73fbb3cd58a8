"""Metrics in tag messages: the forms that are metrics, the text that is not, and hostile text."""

from __future__ import annotations

import time

import pytest
from testing.tools import run

from tagguard.errors import TagguardError
from tagguard.ml.metrics import lower_is_better, parse_metrics, parse_value
from tagguard.ml.trailers import image_of, split_trailers


@pytest.mark.parametrize(
    "message, expected",
    [
        ("fine-tune, lr/2: acc=0.932, f1=0.897", {"acc": 0.932, "f1": 0.897}),
        ("acc: 0.932\nval_loss = 1.5e-3", {"acc": 0.932, "val_loss": 0.0015}),
        ("done\n\nMetric-acc: 0.932\nMetric-top5.acc: 0.99\nImage: pytorch/pytorch:2.8.0", {"acc": 0.932, "top5.acc": 0.99}),
        ("Acc=93.2%", {"acc": 0.932}),
        ("delta=-0.5 gain=+2", {"delta": -0.5, "gain": 2.0}),
        ("scores (acc=0.91; f1=0.88).", {"acc": 0.91, "f1": 0.88}),
        ("it reached acc=0.93.", {}),  # a word before the name: `reached acc`?
        ("val_acc: 93.2%", {"val_acc": 0.932}),
        ("val-loss=0.3\n\nMetric-Val-Loss: 0.25", {"val_loss": 0.25}),  # one metric, however it is spelt
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
        # the cases: an image trailer, two-word names, hyperparameters
        "fine-tune\n\nImage: nvcr.io/nvidia/pytorch:24.08-py3\nSeed: 42\nEpochs: 90",
        "trained in nvcr.io/nvidia/pytorch:24.08-py3 and nvcr.io/nvidia/pytorch:24.08",
        "val acc: 93.2%\nbatch size: 256\ntop 5 acc = 0.99",
        "seed: 42, epochs: 90, batch_size: 256, lr=1e-4, learning-rate: 0.01, Warmup-Steps=500",
        # other trailers are never metrics, even with a number
        "done\n\nacc: 0.93\nGPUs: 8\nRun-Id: 17",
        "done\n\nReviewed-by: Ana\n  and Bo: 2",
    ],
)
def test_text_that_is_not_a_metric(message: str) -> None:
    assert parse_metrics(message) == {}


def test_a_declared_table_is_the_whole_list() -> None:
    declared = {"acc": "max", "seed": "max", "val_loss": "min"}
    message = "acc=0.9, f1=0.8, seed: 3\nval-loss: 0.2\n\nMetric-bleu: 30\nMetric-acc: 0.91\nSeed: 4"
    assert parse_metrics(message, declared) == {"acc": 0.91, "seed": 3.0, "val_loss": 0.2}


def test_a_metric_trailer_is_a_metric_by_its_writers_word() -> None:
    assert parse_metrics("tuned\n\nMetric-seed: 7\nImage: x") == {"seed": 7.0}


@pytest.mark.parametrize("message", [
    "fine-tune\n\nImage: pytorch/pytorch:2.8.0\nMetric-acc: 0.932\nMetric-f1: 0.897\n",
    "subject\n\nbody line\n\nSigned-off-by: A <a@example.com>\nCo-authored-by: B\n  continued here\n",
    "subject\n\nacc: 0.871\nf1: 0.842",
    "subject\n\nacc=0.5\nloss: 0.3",  # not every line a trailer: no block
    "acc: 0.5\nloss: 0.3",  # the first paragraph is the subject, never trailers
    "subject\n\nMetric-top5.acc: 0.99\nMetric-acc: 0.9",  # '.' is not in a trailer key
    "subject\n\n\n\nImage: a\n\n",
])
def test_trailers_are_the_lines_git_reads_as_trailers(message: str) -> None:
    parsed = run("git", "interpret-trailers", "--parse", input=message)
    assert parsed.returncode == 0
    ours = [f"{key}: {value}" for key, value in split_trailers(message)[1]]
    assert ours == parsed.stdout.splitlines()


def test_the_image_is_the_last_image_trailer() -> None:
    assert image_of(split_trailers("x\n\nImage: a:1\nimage: b:2\nMetric-acc: 1")[1]) == "b:2"
    assert image_of(split_trailers("x\nImage: a:1")[1]) is None  # in the subject paragraph: text


@pytest.mark.parametrize("text, value", [
    ("0.932", 0.932), ("93.2%", 0.932), ("-1.5e-3", -0.0015), (".5", 0.5), ("+2", 2.0),
    ("abc", None), ("nan", None), ("1e999", None), ("0.9 ", None), ("1,5", None), ("", None),
])
def test_values(text: str, value: float | None) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize("name, lower", [
    ("loss", True), ("val_loss", True), ("top1.error", True), ("wer", True), ("latency_ms", True),
    ("acc", False), ("val_acc", False), ("f1", False), ("top5.acc", False), ("bleu", False),
])
def test_which_way_is_better_by_the_name(name: str, lower: bool) -> None:
    assert lower_is_better(name, None, None) is lower


def test_the_flag_then_the_policy_then_the_name_decide() -> None:
    assert lower_is_better("loss", None, "max") is False
    assert lower_is_better("acc", {"acc": "min"}, None) is True
    assert lower_is_better("acc", {"acc": "min"}, "max") is False
    with pytest.raises(TagguardError) as caught:
        lower_is_better("val/recon", None, None)
    assert str(caught.value) == (
        "tagguard can't tell whether a higher or a lower val/recon is better: pass --maximize or --minimize, "
        "or declare it in the policy ([metrics] \"val/recon\" = \"max\")")


def test_hostile_input_is_linear() -> None:
    started = time.perf_counter()
    parse_metrics(("a" * 50_000 + "= ") * 20 + "a-" * 200_000 + "x" * 100 + "=1")
    parse_metrics("x a=1 " * 100_000 + "\n\n" + "K: v\n" * 50_000)
    parse_metrics(" " * 300_000 + "a=1" + " " * 300_000 + "x a=1")
    parse_metrics("x\n\nImage: a\n" + " b\n" * 300_000)  # one trailer, continued 300,000 times
    assert time.perf_counter() - started < 2.0
