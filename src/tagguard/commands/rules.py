"""`tagguard rules` and `tagguard explain CODE`."""

from __future__ import annotations

import argparse

from tagguard.errors import TagguardError
from tagguard.policy.model import client_policy
from tagguard.rules.catalog import RULES, find_rule


def run_rules(args: argparse.Namespace) -> int:
    policy = client_policy(args.policy)
    for rule in RULES.values():
        print(f"{rule.code}  {rule.name:<16} {policy.severity(rule.code):<6} {rule.summary}")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    rule = find_rule(args.rule)
    if rule is None:
        raise TagguardError(f"no rule {args.rule!r}; `tagguard rules` lists them")
    from textwrap import fill

    print(f"{rule.code} {rule.name}: {rule.summary}\n")
    for heading, text in (
        ("Why it matters", rule.why),
        ("Example of a violation", rule.example),
        ("Use instead", rule.instead),
    ):
        print(f"{heading}:\n{fill(text, 88, initial_indent='  ', subsequent_indent='  ')}\n")
    print(f"Switch it off or to a warning in the policy:\n  [rules]\n  {rule.code} = \"warn\"")
    return 0
