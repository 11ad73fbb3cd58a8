"""`tagguard policy`: show where the policy comes from and what it says, or validate files."""

from __future__ import annotations

import argparse
import os
import sys

from tagguard.errors import TagguardError
from tagguard.policy.model import Policy, client_policy, load_policy_file, policy_from_mapping, read_toml


def run_policy(args: argparse.Namespace) -> int:
    if args.files:
        return _validate(args.files)
    _describe(client_policy(args.policy))
    return 0


def _validate(paths: list[str]) -> int:
    status = 0
    for path in paths:
        try:
            _load_any(path)
        except TagguardError as exc:
            print(f"tagguard: error: {exc}", file=sys.stderr)
            status = 2
        else:
            print(f"{path}: ok")
    return status


def _load_any(path: str) -> None:
    if os.path.basename(path) != "pyproject.toml":
        load_policy_file(path)
        return
    tool = read_toml(path).get("tool")
    if isinstance(tool, dict) and "tagguard" in tool:
        policy_from_mapping(tool["tagguard"], f"{path} [tool.tagguard]")


def _describe(policy: Policy) -> None:
    naming, image = policy.naming, policy.image
    desc = naming.desc.source if naming.desc else "lowercase letters and digits, words joined by '-'"
    if image.pytorch:
        shown_image = f"PyTorch {' or '.join(image.pytorch)}"
        shown_image += f" (from {image.ref})" if image.ref else ""
    else:
        shown_image = "not set: tag versions are not compared with an image"
    changed = ", ".join(f"{code}={level}" for code, level in sorted(policy.severities.items()))
    print(f"policy:    {policy.origin}")
    print(f"types:     {', '.join(naming.types)}")
    print(f"desc:      {desc}")
    print(f"temporary: {', '.join(naming.temporary)}")
    print(f"image:     {shown_image}")
    if image.files:
        ngc = ", ".join(f"{release}={version}" for release, version in image.ngc.items())
        print(f"reads:     {', '.join(image.files)} at the tagged commit" + (f" (NGC: {ngc})" if ngc else ""))
    print(f"rules:     {changed or 'all at error'}")
    print(f"metrics:   {_metrics(policy)}")


def _metrics(policy: Policy) -> str:
    if policy.metrics is None:
        return "not declared: every name tag messages write as a metric; which way is better, from the name"
    return ", ".join(f"{name} ({'higher' if way == 'max' else 'lower'} is better)"
                     for name, way in policy.metrics.items())
