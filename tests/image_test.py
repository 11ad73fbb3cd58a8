from __future__ import annotations

import pytest

from tagguard.image.reference import pytorch_from_ref, split_ref

REFS = {
    "pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime": "2.8",
    "docker.io/pytorch/pytorch:2.9.1-cuda12.6-cudnn9-devel": "2.9",
    "pytorch/pytorch:2.10.0-cuda13.0-cudnn9-runtime@sha256:" + "a" * 64: "2.10",
    "ghcr.io/acme/pytorch-cuda:v2.8": "2.8",
    "registry.local:5000/ml/pytorch-cuda:v2.8": "2.8",
    "PyTorch-CUDA-v2.8": "2.8",
    "acme/torch2.7-cu121:latest": "2.7",
    "pytorch/pytorch:latest": None,
    "pytorch/pytorch": None,
    "nvcr.io/nvidia/pytorch:24.08-py3": None,
    "nvidia/pytorch:24.08-py3": None,
    "ubuntu:22.04": None,
    "acme/train:2.8": None,
    "": None,
}


@pytest.mark.parametrize("ref,version", REFS.items())
def test_pytorch_version_from_image_ref(ref: str, version: str | None) -> None:
    assert pytorch_from_ref(ref) == version


def test_split_ref_keeps_registry_port_and_digest() -> None:
    assert split_ref("registry.local:5000/ml/pytorch:2.8@sha256:abc") == (
        "registry.local:5000/ml/pytorch",
        "2.8",
        "sha256:abc",
    )
    assert split_ref("registry.local:5000/ml/pytorch") == ("registry.local:5000/ml/pytorch", "", "")
