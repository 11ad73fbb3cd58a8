"""The client-side push check: git's pre-push input, or what pre-commit tells its hooks.

Both turn their input into `RefUpdate`s and call `pushcheck.check_updates`, the same verdict
the server hooks give. What only a client has to say (it can't know who the server thinks
you are) is settled here.
"""

from __future__ import annotations

from tagguard.git.refs import TAG_PREFIX
from tagguard.git.refupdates import HookInputError, RefUpdate
from tagguard.git.repo import Git, zero_oid
from tagguard.lean import TYPE_CHECKING
from tagguard.policy.model import Policy
from tagguard.rules.catalog import Violation
from tagguard.safetext import shown
from tagguard.verdict.pushcheck import check_updates

if TYPE_CHECKING:
    from collections.abc import Mapping


USER_VARIABLE = "TAGGUARD_USER"


def client_user(env: Mapping[str, str]) -> str | None:
    """Who the client says it is: $TAGGUARD_USER, set to the user name the server knows."""
    return env.get(USER_VARIABLE, "").strip() or None


def check_client(
    tags: list[RefUpdate], policy: Policy, git: Git, user: str | None
) -> dict[str, list[Violation]]:
    """`check_updates` with client wording for protected deletions: `user` is only what
    $TAGGUARD_USER says."""
    return check_updates(tags, policy, git, user, user_variable=USER_VARIABLE)


# --- pre-commit's pre-push stage ---------------------------------------------------------


class PreCommitPush:
    """What pre-commit tells a pre-push hook: the first ref with new commits, and its range."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.remote_ref = env.get("PRE_COMMIT_REMOTE_BRANCH", "")
        self.local_ref = env.get("PRE_COMMIT_LOCAL_BRANCH", "")
        self.remote_name = env.get("PRE_COMMIT_REMOTE_NAME", "")
        self.from_ref = env.get("PRE_COMMIT_FROM_REF", "")
        self.to_ref = env.get("PRE_COMMIT_TO_REF", "")
        if not self.remote_ref or not (self.to_ref or self.local_ref):
            raise HookInputError(
                "PRE_COMMIT_REMOTE_BRANCH is not set: this command runs as a pre-commit hook in the "
                "pre-push stage; in a plain git hook use `tagguard pre-push REMOTE URL`"
            )


def pre_commit_updates(push: PreCommitPush, git: Git) -> tuple[list[RefUpdate], list[RefUpdate]]:
    """The reported tag (if the first ref is one) and the annotated tags on pushed commits."""
    tip = push.to_ref or git.resolve([push.local_ref]).get(push.local_ref)
    if not tip:
        raise HookInputError(f"can't find {shown(push.local_ref)} in this repository")
    zero = zero_oid(len(tip))
    reported = [RefUpdate(push.remote_ref, zero, tip)] if push.remote_ref.startswith(TAG_PREFIX) else []
    if push.from_ref:
        commits = set(git.rev_list(f"{push.from_ref}..{tip}"))
    else:
        commits = set(git.rev_list(tip, "--not", f"--remotes={push.remote_name}"))
    in_range = [
        RefUpdate(ref, zero, oid)
        for ref, oid, peeled in git.tag_refs()
        if peeled in commits and oid != peeled and ref != push.remote_ref
    ]
    return reported, in_range


def local_only(results: dict[str, list[Violation]], refs: list[RefUpdate]) -> None:
    """Tags pre-commit can't say are pushed may be temporary: drop TG104 for those."""
    for update in refs:
        results[update.ref] = [v for v in results[update.ref] if v.code != "TG104"]
