"""`ml/weights.py`: the `Checkpoint:` trailer a tag vouches for its weights with."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tagguard.errors import TagguardError
from tagguard.ml.weights import Weights, hash_weights, parse_weights, weights_trailer


def test_hash_streams_a_file_bigger_than_one_chunk(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # 2.2 MiB: more than one read
    (tmp_path / "model.pth").write_bytes(data)
    found = hash_weights(str(tmp_path / "model.pth"))
    assert found == Weights(hashlib.sha256(data).hexdigest(), len(data), str(tmp_path / "model.pth"))


def test_trailer_round_trips_a_path_with_spaces() -> None:
    weights = Weights("ab" * 32, 12, "runs/best model.pth")
    message = f"fine-tune\n\nImage: pytorch/pytorch:2.8.0\n{weights_trailer(weights)}\n"
    assert parse_weights(message) == [weights]


@pytest.mark.parametrize("line", [
    "Checkpoint: sha256:" + "AB" * 32 + " 12 a.pth",  # uppercase hex is not what tagguard writes
    "Checkpoint: sha256:" + "ab" * 31 + " 12 a.pth",  # short
    "Checkpoint: sha256:" + "ab" * 32 + " twelve a.pth",
    "Checkpoint: sha256:" + "ab" * 32 + " 12",  # no path
    "Checkpoint: md5:" + "ab" * 16 + " 12 a.pth",
])
def test_malformed_trailers_are_ignored(line: str) -> None:
    assert parse_weights(f"text\n\n{line}\n") == []


def test_missing_file_and_multiline_path_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(TagguardError, match="no such file"):
        hash_weights(str(tmp_path / "absent.pth"))
    with pytest.raises(TagguardError, match="one line"):
        weights_trailer(Weights("ab" * 32, 1, "a\nMetric-acc: 1"))
