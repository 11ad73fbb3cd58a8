"""The server hook scripts (`hook_script(name)`; the top-level `hooks/` holds them), and the
marks a push leaves for the reference-transaction hook.

A hook that was there before is kept as `<hook>.pre-tagguard` (`tagguard.hookfiles.files`); the
scripts run it first with git's own input (`--chain`).
"""

from __future__ import annotations

import os

from tagguard.hookfiles.files import CHAINED, MARKER, is_ours
from tagguard.lean import TYPE_CHECKING

if TYPE_CHECKING:
    from tagguard.hookfiles.launcher import Launcher

SERVER_HOOKS = ("pre-receive", "update", "post-receive", "reference-transaction")
SH_MARKS = 32  # post-receive's sh writes the marks of at most this many tags (one short write)
SH_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+-"  # no JSON escapes
# The line a hook script adds when `cat` can't pass on the input it did not read: no update
# line, so tagguard refuses the push (fail closed) rather than judge part of it.
UNREAD = "the rest of git's input could not be passed on (cat failed)"
# The refs the pre-receive and update scripts hand to tagguard, as an sh `case` pattern: those
# under refs/tags/, refs/replace/, refs/tagguard/ and refs/namespaces/, a name holding
# refs/tagguard/, and any spelling of these a file system ignoring case stores alike (TG405: each
# letter in either case, a part ending with dots, any character but plain ASCII). A few
# branches more (refs/tagging/x, a name with an accent or a quote, any branch of a namespace)
# start Python needlessly, and pass there.
SH_JUDGED = ("refs/[Tt][Aa][Gg]*|refs/[Rr][Ee][Pp][Ll][Aa][Cc][Ee]*|refs/[Nn][Aa][Mm][Ee][Ss][Pp][Aa][Cc][Ee][Ss]*"
             "|*/[Rr][Ee][Ff][Ss]*/[Tt][Aa][Gg][Gg][Uu][Aa][Rr][Dd]*|*[!@,=%#" + SH_NAME_CHARS + "]*")
SH_NAME_MOST = 200  # characters of a name whose mark sh writes: a mark line is then far below any shell's
# output buffer (bash: 4 KiB, busybox on musl: 1 KiB), so each `printf` of one line is one whole write

# Every hook script finds tagguard the same way, and refuses in one line when it can't.
_FIND = """\
missing=
if [ -n "$TAGGUARD" ]; then
    run_tagguard() {{ "$TAGGUARD" "$@"; }}
    command -v "$TAGGUARD" >/dev/null 2>&1 || missing=$TAGGUARD
else
    run_tagguard() {{ {run} "$@"; }}
    {present} || missing={where}
fi
if [ -n "$missing" ]; then
    if [ -n "$GL_ID$GL_PROTOCOL$GL_USERNAME" ]; then printf 'GL-HOOK-ERR: ' >&2; fi
    echo "tagguard: {failure}: the tagguard command '$missing' is not installed (set TAGGUARD or PATH)" >&2
    exit 1
fi"""


_TEMPLATE = """\
#!/bin/sh
{marker} {hook}: {purpose}.
# See tagguard's README, "Server hooks". Runs $TAGGUARD if set, else the command below; a
# hook that was here before is kept as "$0{chained}" and run first with the same input.
# A push of well-formed branch updates only (nothing under refs/tags/, refs/replace/,
# refs/tagguard/ or refs/namespaces/, nor a name holding refs/tagguard/ or spelt like these, at
# most 1,000 lines) starts no Python: it is read here, in sh builtins.
plain() {{  # one input line: an update of a ref tagguard leaves alone?
    old=${{1%% *}} rest=${{1#* }}; new=${{rest%% *}} ref=${{rest#* }}
    [ "$old $new $ref" = "$1" ] && [ ${{#old}} = ${{#new}} ] || return 1
    case ${{#old}} in 40|64) ;; *) return 1 ;; esac
    case $old$new in *[!0-9a-f]*) return 1 ;; *[!0]*) ;; *) return 1 ;; esac
    case $ref in
        {judged}) return 1 ;;
        refs/?*) ;;
        *) return 1 ;;
    esac
}}
all= n=0 slow= more=
while IFS= read -r line; do
    all="$all$line
"
    n=$((n + 1))
    [ $n -le 1000 ] && plain "$line" || {{ slow=1 more=1; break; }}  # tagguard reads the rest
done
[ -z "$more" ] && [ -n "$line" ] && {{ all="$all$line"; slow=1; }}  # a last line with no newline
if [ -z "$slow" ]; then
    [ -x "$0{chained}" ] || exit 0
    printf '%s' "$all" | "$0{chained}" "$@"
    exit
fi
{find}
export {parent_env}=$PPID  # receive-pack, or a dispatcher (tagguard runs one process further down)
if [ -n "$more" ]; then
    {{ printf '%s' "$all"; cat || echo "{unread}"; }} | run_tagguard {hook} --chain "$0{chained}" "$@"
else
    printf '%s' "$all" | run_tagguard {hook} --chain "$0{chained}" "$@"
fi
"""
_POST_RECEIVE = r"""#!/bin/sh
{marker} post-receive: {purpose}.
# See tagguard's README, "Server hooks". Runs $TAGGUARD if set, else the command below; a
# hook that was here before is kept as "$0{chained}" and run first with the same input.
# For a push of at most {most} tags whose names need no JSON escapes (and are short), the landed marks are
# appended to the ledger here, in sh, with no Python (pre-receive wrote the records).
landed() {{  # one input line: well-formed, and its mark (if a tag landed) written here?
    old=${{1%% *}} rest=${{1#* }}; new=${{rest%% *}} ref=${{rest#* }}
    [ "$old $new $ref" = "$1" ] && [ ${{#old}} = ${{#new}} ] || return 1
    case ${{#old}} in 40|64) ;; *) return 1 ;; esac
    case $old$new in *[!0-9a-f]*) return 1 ;; esac
    case $ref in refs/tags/?*) seen=1 ;; refs/?*) return 0 ;; *) return 1 ;; esac
    case $new in *[!0]*) ;; *) return 0 ;; esac  # a deletion: nothing to record
    name=${{ref#refs/tags/}} tags=$((tags + 1))
    case $name in *[!{safe}]*) return 1 ;; esac
    [ ${{#name}} -le {longest} ] && [ $tags -le {most} ] || return 1
    marks="$marks{{\"name\": \"$name\", \"object\": \"$new\", \"state\": \"{landed}\"}}
"
}}
unmark() {{  # remove the mark pre-receive left for reference-transaction for process $1, if any
    stat= parent=
    read -r stat 2>/dev/null </proc/$1/stat || return 0
    set -- "$1" ${{stat##*) }}
    parent=$3 pushed=${{GIT_DIR:-.}}/{mark}.$1.${{21}}
    if [ -e "$pushed" ]; then rm -f "$pushed"; fi
}}
write_marks() {{  # one printf, so one write, per line: sh takes no lock, and a line another
    # writer's line lands in the middle of is lost (bash writes a long printf 4 KiB at a time)
    printf '\n' || return  # ends any line a crash tore
    set -f; IFS='
'
    for mark in $marks; do printf '%s\n' "$mark" || return; done
}}
stop() {{  # a stop signal while the chained hook runs: stop it, say so, record nothing
    kill "$child" 2>/dev/null
    if [ -n "$GL_ID$GL_PROTOCOL$GL_USERNAME" ]; then printf 'GL-HOOK-ERR: ' >&2; fi
    echo "tagguard: the push landed, but recording its tags in the ledger failed:" \
        "stopped by SIG$1 before the check finished" >&2
    exit 2
}}
all= n=0 tags=0 marks= seen= slow=
while IFS= read -r line; do
    all="$all$line
"
    n=$((n + 1))
    if [ $n -gt 1000 ] || ! landed "$line"; then slow=1; break; fi
done
[ -n "$line" ] && [ -z "$slow" ] && {{ all="$all$line"; slow=1; }}  # a last line with no newline
if [ -z "$slow" ]; then
    chained=0
    if [ -x "$0{chained}" ]; then  # in the background, so that a stop signal is heard at once
        trap 'stop TERM' TERM; trap 'stop INT' INT; trap 'stop HUP' HUP
        printf '%s' "$all" | "$0{chained}" "$@" &
        child=$!
        wait $child || chained=1
        trap - TERM INT HUP
    fi
    [ -n "$seen" ] || exit $chained
    unmark $PPID && unmark $parent  # receive-pack, or a dispatcher and receive-pack
    [ -n "$marks" ] || exit $chained
    # whole lines with O_APPEND, after a newline that ends any line a crash tore
    if write_marks 2>/dev/null >>"${{GIT_DIR:-.}}/{ledger}"; then exit $chained; fi
fi
{find}
if [ -z "$slow" ]; then  # the write failed: tagguard tries again, and says why if it can't
    printf '%s' "$all" | run_tagguard post-receive || exit
    exit $chained
fi
{{ printf '%s' "$all"; cat || echo "{unread}"; }} | run_tagguard post-receive --chain "$0{chained}" "$@"
"""
_UPDATE = """\
#!/bin/sh
{marker} update: {purpose}.
# See tagguard's README, "Server hooks". Runs $TAGGUARD if set, else the command below; a
# hook that was here before is kept as "$0{chained}" and run first with the same arguments.
# Branch updates (nothing under refs/tags/, refs/replace/, refs/tagguard/ or refs/namespaces/,
# nor a name holding refs/tagguard/ or spelt like these) start no Python.
case $1 in
    {judged}) ;;
    refs/?*) if [ -x "$0{chained}" ]; then exec "$0{chained}" "$@"; fi; exit 0 ;;
esac
{find}
run_tagguard update --chain "$0{chained}" "$@"
"""


# Optional (`install --server PATH --outside-pushes`): git runs it for every ref change, also
# a web UI's `git tag`, so it must cost nothing when there is no tag or when a push's own
# pre-receive has judged it (pre-receive leaves PUSH_MARK.<pid>.<start time> of receive-pack:
# the start time, field 22 of /proc/<pid>/stat, so a reused pid never matches). Only then
# does it start tagguard: "prepared" judges the change (a refusal aborts it), "committed"
# records it in the ledger. Deletions by pack-refs and gc (both ids zero) are not changes.
REFERENCE_TRANSACTION = "reference-transaction"
PUSH_MARK = "tagguard-push"
HOOK_PARENT = "TAGGUARD_HOOK_PARENT"  # the pid that ran the hook script, which then runs tagguard
_REFERENCE_TRANSACTION = """\
#!/bin/sh
{marker} reference-transaction: judge and record tags changed on the server outside a push.
# See tagguard's README, "Tags made outside a push". Starts tagguard only for tag changes
# that no pre-receive judged; a hook that was here before is kept as "$0{chained}".
all= tags=
while read -r old new ref; do
    all="$all$old $new $ref
"
    case $ref in refs/tags/*) case $old$new in *[!0]*) tags="$tags$old $new $ref
" ;; esac ;; esac
done
if [ -x "$0{chained}" ]; then printf '%s' "$all" | "$0{chained}" "$@" || exit 1; fi
state=$1
case $state in prepared|committed) ;; *) exit 0 ;; esac
[ -n "$tags" ] || exit 0
stat=
read -r stat 2>/dev/null </proc/$PPID/stat
if [ -n "$stat" ]; then
    set -- ${{stat##*) }}
    [ -e "${{GIT_DIR:-.}}/{mark}.$PPID.${{20}}" ] && exit 0
fi
{find}
printf '%s' "$tags" | run_tagguard reference-transaction "$state"
"""


def hook_script(hook: str, launcher: Launcher | None = None) -> str:
    """The script of one server hook, starting tagguard with `launcher` (default: on PATH)."""
    if launcher is None:
        from tagguard.hookfiles.launcher import ON_PATH  # (install only: a push needs no launcher)

        launcher = ON_PATH
    if hook == REFERENCE_TRANSACTION:
        find = _FIND.format(**launcher._asdict(), failure="tag change refused")
        return _REFERENCE_TRANSACTION.format(marker=MARKER, chained=CHAINED, mark=PUSH_MARK, find=find)
    if hook == "post-receive":
        purpose, failure = "record the tags that landed, so their names stay burned", "tags not recorded"
    else:
        purpose, failure = "refuse tag pushes that break the tag policy", "push refused"
    find = _FIND.format(**launcher._asdict(), failure=failure)
    if hook == "post-receive":
        from tagguard.server.ledger import LANDED, LEDGER_FILE

        return _POST_RECEIVE.format(marker=MARKER, purpose=purpose, chained=CHAINED, find=find, failure=failure,
                                    most=SH_MARKS, safe=SH_NAME_CHARS, longest=SH_NAME_MOST, landed=LANDED,
                                    mark=PUSH_MARK, ledger=LEDGER_FILE, unread=UNREAD)
    return (_UPDATE if hook == "update" else _TEMPLATE).format(
        marker=MARKER, hook=hook, purpose=purpose, chained=CHAINED, find=find, parent_env=HOOK_PARENT, unread=UNREAD,
        judged=SH_JUDGED,
    )


def post_receive_beside(pre_receive: str) -> str | None:
    """None when tagguard's post-receive is in place beside the pre-receive script at
    `pre_receive`, else where it was looked for. Layouts: `hooks/pre-receive` with
    `hooks/post-receive` (or `hooks/post-receive.d/*`), and `pre-receive.d/*` with
    `post-receive.d/*` (GitLab's custom_hooks, Gitea, Forgejo)."""
    here = os.path.dirname(os.path.abspath(pre_receive))
    if os.path.basename(here) == "pre-receive.d":
        places = [os.path.join(os.path.dirname(here), "post-receive.d")]
    else:
        places = [os.path.join(here, "post-receive"), os.path.join(here, "post-receive.d")]
    for place in places:
        candidates = [os.path.join(place, n) for n in _listing(place)] if os.path.isdir(place) else [place]
        if any(is_ours(c) and os.access(c, os.X_OK) for c in candidates):
            return None
    return " or ".join(places)


def transaction_hook_near(script: str) -> bool:
    """Is there a reference-transaction hook where git looks for the one beside the hook
    script `script` (its directory, or the parent of a `pre-receive.d`)? Without one, no push
    needs a mark (and post-receive's sh then starts no `rm`)."""
    here = os.path.dirname(os.path.abspath(script))
    return any(os.path.lexists(os.path.join(d, REFERENCE_TRANSACTION)) for d in (here, os.path.dirname(here)))


def mark_push(git_dir: str, accepted: bool) -> None:
    """Tell the reference-transaction hook that this push's tags were judged: a mark named
    for receive-pack (this hook's parent, or its grandparent under a `pre-receive.d`
    dispatcher) from pre-receive's acceptance (`accepted`) to post-receive (not `accepted`).
    Marks of processes that are gone (a push that hung up, or updated no ref) are swept."""
    for name in _listing(git_dir):
        if name.startswith(f"{PUSH_MARK}.") and not _alive(name[len(PUSH_MARK) + 1 :]):
            _remove(os.path.join(git_dir, name))
    for key in _receive_pack_candidates():
        path = os.path.join(git_dir, f"{PUSH_MARK}.{key}")
        if accepted:
            open(path, "w").close()
        else:
            _remove(path)


def _receive_pack_candidates() -> list[str]:
    """`<pid>.<start time>` of the process that ran the hook script (or this process's
    parent) and of its parent."""
    parent = os.environ.get(HOOK_PARENT, "")
    keys, pid = [], int(parent) if parent.isdigit() else os.getppid()
    for _ in range(2):
        fields = _stat(pid)
        if pid <= 1 or fields is None:
            break
        keys.append(f"{pid}.{fields[19]}")
        pid = int(fields[1])
    return keys


def _alive(key: str) -> bool:
    pid, _, start = key.partition(".")
    fields = _stat(int(pid)) if pid.isdigit() else None
    return bool(fields) and fields[19] == start  # type: ignore[index]


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b") ", 1)[1].decode().split()
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    return fields if len(fields) > 19 else None


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _listing(directory: str) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []

