"""The client-side push check: git's pre-push input, or what pre-commit tells its hooks.

Both turn their input into `RefUpdate`s and call `pushcheck.check_updates`, the same verdict
the server hooks give. What only a client has to say (it can't know who the server thinks
you are) is settled here.
"""

from __future__ import annotations

from tagguard.git.refs import TAG_PREFIX
from tagguard.git.refupdates import HookInputError, RefUpdate
from tagguard.git.repo import Git, zero_oid
from tagguard.lean import TYPE_CHECKING, NamedTuple
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
    tags: list[RefUpdate], policy: Policy, git: Git, user: str | None, remote: str
) -> dict[str, list[Violation]]:
    """`check_updates` with client wording for protected deletions (`user` is only what
    $TAGGUARD_USER says), and TG403 from `remote`'s ledger when the policy fetches it."""
    results = check_updates(tags, policy, git, user, user_variable=USER_VARIABLE)
    if policy.client.fetch_ledger:
        from tagguard.client.remoteledger import add_remote_reuse

        add_remote_reuse(git, remote, tags, policy, results)
    return results


# --- pre-commit's pre-push stage ---------------------------------------------------------


class PreCommitPush(NamedTuple):
    """What pre-commit tells a pre-push hook: the first ref with new commits, and its range."""

    remote_ref: str
    local_ref: str
    remote_name: str
    from_ref: str
    to_ref: str


def pre_commit_push(env: Mapping[str, str]) -> PreCommitPush | None:
    """The push pre-commit reports, or None outside a push (`pre-commit run`, `try-repo`)."""
    push = PreCommitPush(*(env.get(f"PRE_COMMIT_{name}", "") for name in
                           ("REMOTE_BRANCH", "LOCAL_BRANCH", "REMOTE_NAME", "FROM_REF", "TO_REF")))
    return push if push.remote_ref and (push.to_ref or push.local_ref) else None


def pre_commit_updates(push: PreCommitPush, git: Git) -> tuple[list[RefUpdate], list[RefUpdate]]:
    """The reported tag (if the first ref is one), and the annotated tags git follows."""
    # the local ref's value is what git sends (a tag object, not its commit); else to_ref, resolved
    rev = push.local_ref if push.local_ref.startswith("refs/") else push.to_ref or push.local_ref
    tip = git.resolve([rev]).get(rev)
    if not tip:
        raise HookInputError(f"can't find {shown(rev)} in this repository")
    zero = zero_oid(len(tip))
    reported = [RefUpdate(push.remote_ref, zero, tip)] if push.remote_ref.startswith(TAG_PREFIX) else []
    followed = _followed_tags(push, git, tip) if git.config_true("push.followTags") else []
    return reported, [u for u in followed if u.ref != push.remote_ref]


def _followed_tags(push: PreCommitPush, git: Git, tip: str) -> list[RefUpdate]:
    """What push.followTags sends along: annotated tags on the pushed commits. The remote is taken
    to lack them only on commits it lacks (by its remote-tracking refs and the pushed ref's old
    value); tags on commits it has may be there already, and are left to the server."""
    exclude = [push.from_ref] if push.from_ref else []
    commits = set(git.rev_list(tip, "--not", f"--remotes={push.remote_name}", *exclude))
    zero = zero_oid(len(tip))
    return [RefUpdate(ref, zero, oid) for ref, oid, peeled in git.tag_refs()
            if peeled in commits and oid != peeled]
