"""The policy: read once from TOML (or the embedded default), validated into frozen values.

An error names the file, the key and what was expected, in one line (exit 2).
Heavy modules (tomllib, regex) are imported only when a policy file needs them.
"""

from __future__ import annotations

import os
from types import MappingProxyType

from tagguard.errors import PolicyError
from tagguard.lean import TYPE_CHECKING, NamedTuple
from tagguard.patterns import UserPattern
from tagguard.rules.catalog import ALWAYS_ERRORS, SEVERITIES, find_rule
from tagguard.rules.naming import DEFAULT_TEMPORARY, DEFAULT_TYPES, NamingPolicy
from tagguard.toml import parse_toml

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from tagguard.rules.catalog import Severity


EMBEDDED = "<embedded default policy>"
MAX_POLICY_BYTES = 1 << 20
DEFAULT_MAX_TAG_BYTES = 1 << 20  # a tag object (headers, message, signature) larger is refused unread
POLICY_FILE = ".tagguard.toml"
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_TAG_BYTES_RANGE = (1 << 10, 1 << 30)
DIRECTIONS = ("max", "min")  # [metrics]: is a higher or a lower value better?
MAX_METRIC_NAME = 40
_METRIC_CHARS = "_.-/"  # besides letters and digits


class ImagePolicy(NamedTuple):
    pytorch: tuple[str, ...] = ()  # allowed "X.Y"; empty: the policy names no image
    ref: str | None = None
    files: tuple[str, ...] = ()  # read the version from these, at the tagged commit
    ngc: Mapping[str, str] = MappingProxyType({})  # NGC release "24.08" -> PyTorch "2.5"


class TagsPolicy(NamedTuple):
    require_annotated: bool = True
    require_signed: bool = False
    max_tag_bytes: int = DEFAULT_MAX_TAG_BYTES  # larger tag objects are refused (TG307) unread


class Protect(NamedTuple):
    pattern: str  # a glob over tag names
    allow_delete: tuple[str, ...] = ()  # user names, or "@group"


DEFAULT_PROTECT = (Protect("v*-prod*"),)

# Environment variables that name the pusher, first non-empty wins (GitLab, Gitea/Forgejo,
# GitHub Enterprise Server, gitolite, http-backend).
DEFAULT_IDENTITY_ENV = ("GL_USERNAME", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN", "GL_USER", "REMOTE_USER")
SERVER_MODES = ("enforce", "warn")


class ServerPolicy(NamedTuple):
    mode: str = "enforce"  # "warn": report violations, accept the push
    audit_log: str | None = None  # a file that gets one JSON line per decision
    identity_env: tuple[str, ...] = DEFAULT_IDENTITY_ENV
    allow_replace_refs: bool = False  # pushes may write refs/replace/* (TG404 otherwise)
    require_post_receive: bool = True  # pre-receive refuses tags when tagguard's post-receive is gone


class ClientPolicy(NamedTuple):
    fetch_ledger: bool = False  # pre-push and check-ref fetch the remote's refs/tagguard/ledger (TG403)
    fetch_timeout: int = 10  # seconds that fetch may take before the push goes on without it


class Policy(NamedTuple):
    origin: str
    naming: NamingPolicy = NamingPolicy()
    image: ImagePolicy = ImagePolicy()
    severities: Mapping[str, Severity] = MappingProxyType({})
    tags: TagsPolicy = TagsPolicy()
    protect: tuple[Protect, ...] = DEFAULT_PROTECT
    groups: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    server: ServerPolicy = ServerPolicy()
    client: ClientPolicy = ClientPolicy()
    metrics: Mapping[str, str] | None = None  # [metrics]: name -> "max" or "min"; None: no table

    def severity(self, code: str) -> Severity:
        return self.severities.get(code, "error")

    def protection(self, name: str) -> Protect | None:
        """The first [[protect]] entry whose pattern matches the tag name."""
        from fnmatch import fnmatchcase

        return next((p for p in self.protect if fnmatchcase(name, p.pattern)), None)

    def may_delete(self, protect: Protect, pusher: str | None) -> bool:
        """Is `pusher` named in the entry's allow_delete, directly or through a group?"""
        if not pusher:
            return False
        for allowed in protect.allow_delete:
            members = self.groups.get(allowed[1:], ()) if allowed.startswith("@") else (allowed,)
            if pusher in members:
                return True
        return False


DEFAULT_POLICY = Policy(EMBEDDED)


def metric_key(name: str) -> str:
    """A metric's name as tagguard compares and shows it: lowercase, '-' read as '_'
    (a trailer key can't hold '_', so `Metric-val-loss` is `val_loss`)."""
    return name.lower().replace("-", "_")


def is_metric_name(name: str) -> bool:
    """A letter, then letters, digits and `_ . - /`; at most 40 characters."""
    return (0 < len(name) <= MAX_METRIC_NAME and name.isascii() and name[0].isalpha()
            and all(c.isalnum() or c in _METRIC_CHARS for c in name))


# --- where the policy comes from ----------------------------------------------------------


def client_policy(explicit: str | None = None, cwd: str | None = None) -> Policy:
    """--policy, else $TAGGUARD_POLICY, else .tagguard.toml, else pyproject.toml, else default."""
    if explicit:
        return load_policy_file(explicit)
    from_env = os.environ.get("TAGGUARD_POLICY")
    if from_env:
        return load_policy_file(from_env)
    root = find_repo_root(cwd or os.getcwd())
    dedicated = os.path.join(root, POLICY_FILE)
    if os.path.isfile(dedicated):
        return load_policy_file(dedicated)
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.isfile(pyproject):
        section = _pyproject_section(pyproject)
        if section is not None:
            return policy_from_mapping(section, f"{pyproject} [tool.tagguard]")
    return DEFAULT_POLICY


def find_repo_root(start: str) -> str:
    """The nearest directory at or above `start` holding `.git`, else `start` itself."""
    path = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return os.path.abspath(start)
        path = parent


def _pyproject_section(path: str) -> Mapping[str, Any] | None:
    with open(path, "rb") as f:
        if b"tagguard" not in f.read(MAX_POLICY_BYTES + 1):
            return None  # the common case costs no TOML parse
    tool = read_toml(path).get("tool")
    return tool.get("tagguard") if isinstance(tool, dict) else None


# --- reading and validating ---------------------------------------------------------------


def load_policy_file(path: str) -> Policy:
    return policy_from_mapping(read_toml(path), path)


def read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_POLICY_BYTES + 1)
    except FileNotFoundError:
        raise PolicyError(path, "", "no such file") from None
    except OSError as exc:
        raise PolicyError(path, "", f"can't be read ({exc.strerror})") from None
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(path, "", "larger than 1 MiB; a policy is a few lines")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(path, "", f"not UTF-8 text (byte {exc.start})") from None
    try:
        return parse_toml(text)
    except ValueError as exc:  # TOMLDecodeError
        raise PolicyError(path, "", f"not valid TOML: {exc}") from None


class _Table:
    """One policy table under validation; knows its key path for error messages."""

    def __init__(self, data: Any, origin: str, path: str, known: tuple[str, ...]) -> None:
        self.origin, self.path = origin, path
        if not isinstance(data, dict):
            self.fail("", f"expected a table, got {_kind(data)}")
        unknown = sorted(set(data) - set(known))
        if unknown:
            self.fail(unknown[0], f"unknown key (expected one of: {', '.join(known)})")
        self.data: dict[str, Any] = data

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, problem: str) -> None:
        raise PolicyError(self.origin, self.key(name) if name else self.path, problem)

    def string(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            self.fail(name, f"expected a non-empty string, got {_kind(value)}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self.fail(name, f"expected true or false, got {_kind(value)}")
        return value

    def whole_number(self, name: str, default: int, low: int, high: int) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            whole = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**20
            got = str(value) if whole else _kind(value)
            self.fail(name, f"expected a whole number from {low} to {high}, got {got}")
        return value

    def strings(self, name: str, *, single_ok: bool = False) -> tuple[str, ...] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if single_ok and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            self.fail(name, f"expected a non-empty array of strings, got {_kind(value)}")
        for index, item in enumerate(value, 1):
            if not isinstance(item, str) or not item:
                self.fail(f"{name}[{index}]", f"expected a non-empty string, got {_kind(item)}")
        return tuple(value)


def _open_table(data: Any, origin: str, path: str) -> _Table:
    """A table whose keys are the user's own names ([groups], [image.ngc])."""
    return _Table(data, origin, path, tuple(data) if isinstance(data, dict) else ())


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    kinds: dict[type, str] = {dict: "a table", list: "an array"}
    return kinds.get(type(value), type(value).__name__)


def policy_from_mapping(data: Mapping[str, Any], origin: str) -> Policy:
    top = _Table(data, origin, "", ("naming", "image", "rules", "tags", "protect", "groups", "server", "client",
                                    "metrics"))
    groups = _groups(_open_table(top.data.get("groups", {}), origin, "groups"))
    return Policy(
        origin,
        _naming(_Table(top.data.get("naming", {}), origin, "naming", ("types", "desc", "temporary"))),
        _image(_Table(top.data.get("image", {}), origin, "image", ("pytorch", "ref", "file", "ngc"))),
        _severities(top.data.get("rules", {}), origin),
        _tags(_Table(top.data.get("tags", {}), origin, "tags",
                     ("require_annotated", "require_signed", "max_tag_bytes"))),
        _protect(top.data.get("protect"), origin, groups),
        MappingProxyType(groups),
        _server(_Table(top.data.get("server", {}), origin, "server",
                       ("mode", "audit_log", "identity_env", "allow_replace_refs", "require_post_receive"))),
        _client(_Table(top.data.get("client", {}), origin, "client", ("fetch_ledger", "fetch_timeout"))),
        _metrics(top.data.get("metrics"), origin),
    )


def _metrics(data: Any, origin: str) -> Mapping[str, str] | None:
    """[metrics] `acc = "max"`, `loss = "min"`: the only metrics, and which way is better."""
    if data is None:
        return None
    table = _open_table(data, origin, "metrics")
    if not table.data:
        table.fail("", 'declares no metric: name each one and its direction, such as acc = "max", or leave the '
                   "table out")
    declared: dict[str, str] = {}
    for name, direction in table.data.items():
        if not is_metric_name(name):
            table.fail(f'"{name}"', "expected a metric name: a letter, then letters, digits, '_', '.', '-' or '/' "
                       f"(at most {MAX_METRIC_NAME})")
        if direction not in DIRECTIONS:
            table.fail(name, f"expected \"max\" (higher is better) or \"min\" (lower is better), "
                       f"got {_kind(direction)}")
        if metric_key(name) in declared:
            table.fail(name, f"declares the metric {metric_key(name)!r} twice ('-' and '_' are the same in a name)")
        declared[metric_key(name)] = direction
    return MappingProxyType(declared)


def _client(table: _Table) -> ClientPolicy:
    return ClientPolicy(table.boolean("fetch_ledger", False),
                        table.whole_number("fetch_timeout", ClientPolicy().fetch_timeout, 1, 300))


def _server(table: _Table) -> ServerPolicy:
    mode = table.string("mode") or ServerPolicy().mode
    if mode not in SERVER_MODES:
        table.fail("mode", f"expected \"enforce\" or \"warn\", got {_kind(mode)}")
    names = table.strings("identity_env") or DEFAULT_IDENTITY_ENV
    for index, name in enumerate(names, 1):
        if not (name.isascii() and name.replace("_", "a").isalnum() and not name[0].isdigit()):
            table.fail(f"identity_env[{index}]", f"expected an environment variable name, got {_kind(name)}")
    return ServerPolicy(mode, table.string("audit_log"), names, table.boolean("allow_replace_refs", False),
                        table.boolean("require_post_receive", True))


def _tags(table: _Table) -> TagsPolicy:
    return TagsPolicy(
        table.boolean("require_annotated", TagsPolicy().require_annotated),
        table.boolean("require_signed", TagsPolicy().require_signed),
        table.whole_number("max_tag_bytes", DEFAULT_MAX_TAG_BYTES, *_TAG_BYTES_RANGE),
    )


def _groups(table: _Table) -> dict[str, tuple[str, ...]]:
    return {name: table.strings(name) or () for name in table.data}


def _protect(data: Any, origin: str, groups: Mapping[str, tuple[str, ...]]) -> tuple[Protect, ...]:
    if data is None:
        return DEFAULT_PROTECT
    if not isinstance(data, list):
        raise PolicyError(origin, "[[protect]]", f"expected an array of tables, got {_kind(data)}")
    entries = []
    for index, item in enumerate(data, 1):
        table = _Table(item, origin, f"[[protect]][{index}]", ("pattern", "allow_delete"))
        pattern = table.string("pattern")
        if pattern is None:
            table.fail("pattern", "missing: a glob over tag names, such as \"v*-prod*\"")
        allowed = table.strings("allow_delete") or ()
        for position, who in enumerate(allowed, 1):
            if who.startswith("@") and who[1:] not in groups:
                table.fail(f"allow_delete[{position}]", f"names group {who!r}, which [groups] does not define")
        entries.append(Protect(str(pattern), allowed))
    return tuple(entries)


def _naming(table: _Table) -> NamingPolicy:
    types = table.strings("types") or DEFAULT_TYPES
    for index, word in enumerate(types, 1):
        if not (word[0].isalpha() and _WORD_CHARS.issuperset(word)):
            table.fail(f"types[{index}]", f"expected a lowercase word like 'ft', got {word!r}")
    if len(set(types)) != len(types):
        table.fail("types", "lists a type twice")
    desc = table.string("desc")
    pattern = UserPattern(desc, table.origin, table.key("desc")) if desc else None
    return NamingPolicy(types, pattern, table.strings("temporary") or DEFAULT_TEMPORARY)


def _image(table: _Table) -> ImagePolicy:
    from tagguard.image.reference import pytorch_from_ref

    versions = _versions(table, "pytorch", table.strings("pytorch", single_ok=True) or ())
    ngc = _ngc(_open_table(table.data.get("ngc", {}), table.origin, "image.ngc"))
    files = _files(table)
    ref = table.string("ref")
    if ref is None:
        return ImagePolicy(versions, None, files, ngc)
    if not ref.isprintable():
        table.fail("ref", f"expected one line of printable text (it becomes a tag's Image: line), got {ref!r}")
    from_ref = pytorch_from_ref(ref, ngc)
    if from_ref is None:
        table.fail("ref", f"can't read a PyTorch version from {ref!r}; set image.pytorch = \"X.Y\"")
    if versions and from_ref not in versions:
        table.fail("ref", f"names PyTorch {from_ref}, which image.pytorch ({', '.join(versions)}) leaves out")
    return ImagePolicy(versions or (str(from_ref),), ref, files, ngc)


def _versions(table: _Table, key: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """Validate "X.Y" strings; return them normalised ("2.08" -> "2.8")."""
    for index, version in enumerate(values, 1):
        major, dot, minor = version.partition(".")
        if not (dot and major.isdigit() and minor.isdigit() and major.isascii() and minor.isascii()
                and len(major) <= 9 and len(minor) <= 9):
            where = key if len(values) == 1 else f"{key}[{index}]"
            table.fail(where, f"expected a PyTorch major.minor like \"2.8\", got {version!r}")
    return tuple(f"{int(v.split('.')[0])}.{int(v.split('.')[1])}" for v in values)


def _ngc(table: _Table) -> Mapping[str, str]:
    mapping = {}
    for release in table.data:
        if not isinstance(table.data[release], str):
            table.fail(f'"{release}"', f"expected a PyTorch major.minor like \"2.8\", got {_kind(table.data[release])}")
        mapping[release] = _versions(table, f'"{release}"', (table.data[release],))[0]
    return MappingProxyType(mapping)


def _files(table: _Table) -> tuple[str, ...]:
    files = table.strings("file", single_ok=True) or ()
    if not files:
        return ()
    from tagguard.image.files import reader_for

    for index, path in enumerate(files, 1):
        key = "file" if len(files) == 1 else f"file[{index}]"
        if path.startswith("/") or ".." in path.split("/") or not path.isprintable():
            table.fail(key, f"expected a path inside the repository, got {path!r}")
        if reader_for(path) is None:
            table.fail(key, f"tagguard can't read {path!r}: it reads Dockerfile*, Containerfile*, "
                       "requirements*.txt, constraints*.txt, pyproject.toml, environment*.yml, "
                       "uv.lock, poetry.lock and devcontainer.json")
    return files


def _severities(data: Any, origin: str) -> Mapping[str, Severity]:
    if not isinstance(data, dict):
        raise PolicyError(origin, "rules", f"expected a table, got {_kind(data)}")
    severities = {}
    for key, value in data.items():
        rule = find_rule(key)
        if rule is None:
            raise PolicyError(origin, f"rules.{key}", "no such rule (see `tagguard rules`)")
        if value not in SEVERITIES:
            raise PolicyError(origin, f"rules.{key}", f"expected \"off\", \"warn\" or \"error\", got {_kind(value)}")
        if rule.code in ALWAYS_ERRORS and value != "error":
            raise PolicyError(origin, f"rules.{key}", ALWAYS_ERRORS[rule.code])
        severities[rule.code] = value
    return MappingProxyType(severities)
