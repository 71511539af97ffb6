"""Jinja2 / Ansible templates of routing daemon configs (`roles/frr/templates/frr-pve.conf.j2`), rendered in a
sandbox once per host that applies them, with the variables Ansible would give that host; each rendering is
then read by the FRR or BIRD reader and every location points back at the template's own line.

What is modelled (Ansible's documented variable precedence, lowest first): role `defaults/main.yml`,
inventory file variables and `group_vars/all`, `group_vars/<group>` (parents before children), inventory host
variables, `host_vars/<host>`, role `vars/main.yml`; the magic variables `inventory_hostname`,
`inventory_hostname_short`, `group_names`, `groups` and `hostvars`. Which hosts apply a role comes from the
playbooks of the snapshot (`hosts:` patterns with `roles:`, `include_role`/`import_role`, or `template:` tasks
naming the file). Ansible's `template` module renders with `trim_blocks=True`; so does podpath. An undefined
variable fails the task in Ansible: here it is an error at the template line for that host, and that host's
configuration is not read (the result says so). Facts gathered from the machine (`ansible_facts`,
`ansible_default_ipv4`) are not in a snapshot: a template needing them is unknown, never guessed.

Line mapping: each data line of the template is prefixed with an invisible marker carrying its line number;
a rendered line belongs to the last marker followed by text on it (loops and macros repeat their lines'
markers), and the markers are removed before the daemon's reader sees the text."""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from podpath.diagnostics import Diagnostics, Loc

TEMPLATE_SUFFIXES = (".j2", ".jinja2", ".jinja")
_MARK = re.compile("\x1e(\\d+)\x1f")
_INVENTORY_NAMES = re.compile(r"^(inventory|hosts)(\.(ya?ml|ini|cfg))?$|^inventory/[^/]+$")


@dataclass
class Inventory:
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # host -> its inventory variables
    groups: dict[str, set[str]] = field(default_factory=dict)  # group -> hosts (children expanded)
    group_vars: dict[str, dict[str, Any]] = field(default_factory=dict)  # from the inventory file itself
    children: dict[str, set[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def expand(self) -> None:
        def members(g: str, seen: frozenset[str]) -> set[str]:
            out = set(self.groups.get(g, set()))
            for c in self.children.get(g, set()):
                if c not in seen:
                    out |= members(c, seen | {c})
            return out

        names = set(self.groups) | set(self.children)
        self.groups = {g: members(g, frozenset({g})) for g in names}
        self.groups["all"] = set(self.hosts)
        self.groups.setdefault("ungrouped", set())

    def group_names(self, host: str) -> list[str]:
        return sorted(g for g, hs in self.groups.items() if host in hs and g not in ("all", "ungrouped"))

    def group_depth(self, group: str) -> int:
        """How deep a group is under `all` (Ansible merges parents' group_vars before children's)."""
        parents = [p for p, cs in self.children.items() if group in cs]
        return 0 if not parents else 1 + max(self.group_depth(p) for p in parents if p != group)


def is_inventory_name(shown: str) -> bool:
    base = shown.rsplit("/", 1)[-1]
    tail = "/".join(shown.split("/")[-2:])
    return bool(_INVENTORY_NAMES.match(base) or _INVENTORY_NAMES.match(tail))


def read_inventory(text: str, file: str, inv: Inventory, diags: Diagnostics) -> None:
    """An INI or YAML inventory (both forms Ansible's inventory plugins read)."""
    inv.files.append(file)
    stripped = text.lstrip()
    if file.endswith((".yml", ".yaml")) or stripped.startswith(("all:", "---")) or re.match(r"^\w[\w-]*:\s*$", stripped, re.M):
        _yaml_inventory(text, file, inv, diags)
    else:
        _ini_inventory(text, file, inv, diags)


def _ini_inventory(text: str, file: str, inv: Inventory, diags: Diagnostics) -> None:
    section, kind = "ungrouped", "hosts"
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].split(";", 1)[0].strip() if not raw.lstrip().startswith(("#", ";")) else ""
        if not line:
            continue
        m = re.fullmatch(r"\[([^\]:]+)(?::(children|vars))?\]", line)
        if m:
            section, kind = m.group(1), m.group(2) or "hosts"
            inv.groups.setdefault(section, set())
            continue
        if kind == "children":
            inv.children.setdefault(section, set()).add(line.split()[0])
        elif kind == "vars":
            k, eq, v = line.partition("=")
            if not eq:
                diags.warning(Loc(file, n, 1), "inventory group variable without `=`; ignored")
                continue
            inv.group_vars.setdefault(section, {})[k.strip()] = _ini_value(v.strip())
        else:
            parts = line.split()
            host = parts[0]
            if re.search(r"\[\d+:\d+\]", host):
                diags.warning(Loc(file, n, 1), f"host range {host} is not expanded by podpath; listed as written")
            hv = inv.hosts.setdefault(host, {})
            for kv in parts[1:]:
                k, eq, v = kv.partition("=")
                if eq:
                    hv[k] = _ini_value(v)
            inv.groups.setdefault(section, set()).add(host)


def _ini_value(v: str) -> Any:
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    low = v.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    return v


def _yaml_inventory(text: str, file: str, inv: Inventory, diags: Diagnostics) -> None:
    from podpath.readers.yamlsrc import load_documents

    docs = load_documents(text, file, diags) or []
    if not docs or not isinstance(docs[0].data, dict):
        return

    def group(name: str, body: Any) -> None:
        inv.groups.setdefault(name, set())
        if not isinstance(body, dict):
            return
        hosts = body.get("hosts")
        if isinstance(hosts, dict):
            for h, hv in hosts.items():
                inv.hosts.setdefault(str(h), {}).update(_plain(hv) if isinstance(hv, dict) else {})
                inv.groups[name].add(str(h))
        if isinstance(body.get("vars"), dict):
            inv.group_vars.setdefault(name, {}).update(_plain(body["vars"]))
        children = body.get("children")
        if isinstance(children, dict):
            for c, cb in children.items():
                inv.children.setdefault(name, set()).add(str(c))
                group(str(c), cb)

    for name, body in docs[0].data.items():
        group(str(name), body)


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


@dataclass
class Play:
    hosts: str
    roles: list[str]
    templates: list[str]  # `template: src=` of tasks (names as written)
    loc: Loc


def read_playbook(data: Any, file: str) -> list[Play]:
    """Plays of a playbook document (a list of mappings with `hosts:`)."""
    from podpath.readers.yamlsrc import item_loc

    out: list[Play] = []
    if not isinstance(data, list):
        return out
    for i, play in enumerate(data):
        if not isinstance(play, dict) or "hosts" not in play:
            continue
        roles: list[str] = []
        for r in play.get("roles") or []:
            name = r if isinstance(r, str) else (r.get("role") or r.get("name")) if isinstance(r, dict) else None
            if name:
                roles.append(str(name).rsplit(".", 1)[-1] if "." in str(name) and "/" not in str(name) else str(name))
        templates: list[str] = []
        for section in ("tasks", "pre_tasks", "post_tasks", "handlers"):
            for task in play.get(section) or []:
                if not isinstance(task, dict):
                    continue
                for key in ("include_role", "import_role", "ansible.builtin.include_role", "ansible.builtin.import_role"):
                    if isinstance(task.get(key), dict) and task[key].get("name"):
                        roles.append(str(task[key]["name"]))
                for key in ("template", "ansible.builtin.template"):
                    spec = task.get(key)
                    if isinstance(spec, dict) and spec.get("src"):
                        templates.append(str(spec["src"]))
                    elif isinstance(spec, str):
                        m = re.search(r"src=(\S+)", spec)
                        if m:
                            templates.append(m.group(1))
        hosts = play["hosts"]
        out.append(Play(",".join(map(str, hosts)) if isinstance(hosts, list) else str(hosts), roles, templates,
                        item_loc(data, i, file)))
    return out


def match_hosts(pattern: str, inv: Inventory) -> set[str]:
    """Ansible host patterns: names or groups joined by `:`/`,`, `!x` excludes, `&x` intersects, `*` globs."""
    import fnmatch

    result: set[str] = set()
    for n, term in enumerate(t.strip() for t in re.split(r"[:,]", pattern) if t.strip()):
        op = term[0] if term[0] in "!&" else ""
        name = term[1:] if op else term
        if name in inv.groups:
            hosts = set(inv.groups[name])
        elif any(c in name for c in "*?["):
            hosts = {h for h in inv.hosts if fnmatch.fnmatch(h, name)}
            for g, hs in inv.groups.items():
                if fnmatch.fnmatch(g, name):
                    hosts |= hs
        else:
            hosts = {name} if name in inv.hosts else set()
        if op == "!":
            result -= hosts
        elif op == "&":
            result &= hosts
        else:
            result |= hosts
    return result


# --- rendering ------------------------------------------------------------------------------------------

class TemplateError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def mark_lines(text: str) -> str:
    """The template with a marker at the start of every line that begins outside a Jinja tag."""
    out: list[str] = []
    depth = 0  # inside {{ }}, {% %} or {# #} spanning lines
    for n, line in enumerate(text.split("\n"), 1):
        out.append(("\x1e%d\x1f" % n if depth == 0 else "") + line)
        for m in re.finditer(r"\{\{|\{%|\{#|\}\}|%\}|#\}", line):
            depth += 1 if m.group(0).startswith("{") else -1
            depth = max(depth, 0)
    return "\n".join(out)


def unmark(rendered: str) -> tuple[str, list[int]]:
    """The rendered text without markers, and each output line's template line."""
    lines: list[str] = []
    origin: list[int] = []
    last = 1
    for raw in rendered.split("\n"):
        best = None
        for m in _MARK.finditer(raw):
            after = raw[m.end():]
            nxt = _MARK.search(after)
            seg = after[: nxt.start()] if nxt else after
            if best is None or seg.strip():
                best = int(m.group(1))
            last = int(m.group(1))
        lines.append(_MARK.sub("", raw))
        origin.append(best if best is not None else last)
    return "\n".join(lines), origin


def _ipaddr(value: Any, query: str = "") -> Any:
    """The ansible.utils.ipaddr filter for the queries routing templates use."""
    def one(v: Any) -> Any:
        try:
            iface = ipaddress.ip_interface(str(v))
        except ValueError:
            return False
        q = query or ""
        if q in ("", "address/prefix", "host/prefix"):
            return str(iface) if "/" in str(v) or q else str(iface.ip)
        if q == "address":
            return str(iface.ip)
        if q in ("network", "net"):
            return str(iface.network.network_address) if q == "network" else str(iface.network)
        if q == "subnet" or q == "cidr":
            return str(iface.network)
        if q == "prefix":
            return iface.network.prefixlen
        if q == "netmask":
            return str(iface.network.netmask)
        if q == "broadcast":
            return str(iface.network.broadcast_address)
        if q in ("ipv4", "4"):
            return str(v) if iface.version == 4 else False
        if q in ("ipv6", "6"):
            return str(v) if iface.version == 6 else False
        if q.lstrip("-").isdigit():
            return str(iface.network[int(q)]) if "/" in str(v) else False
        raise TemplateError(0, f"ipaddr query {q!r} is not modelled by podpath")

    if isinstance(value, list):
        return [x for x in (one(v) for v in value) if x is not False]
    return one(value)


def _filters() -> dict[str, Callable[..., Any]]:
    def regex_replace(value: Any, pattern: str, repl: str = "", ignorecase: bool = False, multiline: bool = False) -> str:
        flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
        return re.sub(pattern, re.sub(r"\\(\d)", r"\\\1", repl), str(value), flags=flags)

    def regex_search(value: Any, pattern: str, *groups: str) -> Any:
        m = re.search(pattern, str(value))
        if not m:
            return None
        return [m.group(int(g.lstrip("\\"))) for g in groups] if groups else m.group(0)

    def ternary(value: Any, a: Any, b: Any, none: Any = None) -> Any:
        return none if value is None and none is not None else (a if value else b)

    def to_bool(value: Any) -> bool:
        return str(value).lower() in ("1", "true", "yes", "on", "y") if not isinstance(value, bool) else value

    def combine(*dicts: Any, recursive: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for d in dicts:
            for k, v in (d or {}).items():
                out[k] = combine(out[k], v, recursive=True) if recursive and isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    return {
        "ipaddr": _ipaddr, "ansible.utils.ipaddr": _ipaddr, "ipv4": lambda v, q="": _ipaddr(v, q or "ipv4"),
        "ipv6": lambda v, q="": _ipaddr(v, q or "ipv6"), "ansible.utils.ipv4": lambda v, q="": _ipaddr(v, q or "ipv4"),
        "ansible.utils.ipv6": lambda v, q="": _ipaddr(v, q or "ipv6"),
        "regex_replace": regex_replace, "regex_search": regex_search, "ternary": ternary, "bool": to_bool,
        "to_json": lambda v, **k: json.dumps(v, sort_keys=False), "combine": combine,
        "dict2items": lambda d, key_name="key", value_name="value": [{key_name: k, value_name: v} for k, v in (d or {}).items()],
        "items2dict": lambda l, key_name="key", value_name="value": {i[key_name]: i[value_name] for i in l or []},
        "basename": posixpath.basename, "dirname": posixpath.dirname, "quote": lambda v: "'" + str(v).replace("'", "'\\''") + "'",
        "mandatory": _mandatory, "flatten": _flatten, "unique": lambda l: list(dict.fromkeys(l or [])),
    }


def _mandatory(value: Any) -> Any:
    import jinja2

    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return value


def _flatten(value: Any) -> list[Any]:
    out: list[Any] = []
    for v in value or []:
        out.extend(_flatten(v) if isinstance(v, list) else [v])
    return out


def render(text: str, variables: dict[str, Any]) -> tuple[str, list[int]]:
    """Render `text` (a template) with `variables` in Jinja's sandbox; the output and each output line's
    template line. Raises TemplateError (with the template line) on a syntax error, an undefined variable, a
    filter or test podpath does not model, or anything the sandbox refuses."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(trim_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                               autoescape=False)
    env.filters.update(_filters())
    env.globals["lookup"] = _no_lookup
    env.globals["query"] = _no_lookup
    marked = mark_lines(text)
    try:
        tpl = env.from_string(marked)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(exc.lineno or 1, f"template syntax error: {exc.message}") from None
    try:
        out = tpl.render(**variables)
    except TemplateError as exc:
        raise TemplateError(_failing_line(tpl) or exc.line, exc.message) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(_failing_line(tpl), f"undefined variable: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(_failing_line(tpl), f"refused by the sandbox: {exc}") from None
    except jinja2.TemplateRuntimeError as exc:  # e.g. an unknown filter (reported when it runs)
        raise TemplateError(_failing_line(tpl), str(exc)) from None
    except Exception as exc:  # a filter given the wrong type, a division by zero...
        raise TemplateError(_failing_line(tpl), f"{type(exc).__name__}: {exc}") from None
    return unmark(out)


def _no_lookup(*args: Any, **kw: Any) -> Any:
    raise TemplateError(0, f"lookup({', '.join(map(repr, args))}) reads outside the snapshot; not modelled")


def _failing_line(tpl: Any) -> int:
    """The template line Jinja was executing when it failed (its traceback maps code lines to template lines)."""
    import sys
    import traceback

    del tpl  # Jinja rewrites the traceback: its template frames already carry the template's line numbers
    line = 0
    for frame, lineno in traceback.walk_tb(sys.exc_info()[2]):
        if frame.f_code.co_filename == "<template>":
            line = lineno
    return line or 1


def host_variables(host: str, inv: Inventory, group_files: dict[str, dict[str, Any]],
                   host_files: dict[str, dict[str, Any]], role_defaults: dict[str, Any],
                   role_vars: dict[str, Any]) -> dict[str, Any]:
    """The variables `host` sees, in Ansible's precedence order (later wins)."""
    out: dict[str, Any] = {}
    out.update(role_defaults)
    out.update(inv.group_vars.get("all", {}))
    out.update(group_files.get("all", {}))
    for g in sorted(inv.group_names(host), key=lambda g: (inv.group_depth(g), g)):
        out.update(inv.group_vars.get(g, {}))
        out.update(group_files.get(g, {}))
    out.update(inv.hosts.get(host, {}))
    out.update(host_files.get(host, {}))
    out.update(role_vars)
    out["inventory_hostname"] = host
    out["inventory_hostname_short"] = host.split(".")[0]
    out["group_names"] = inv.group_names(host)
    out["groups"] = {g: sorted(hs) for g, hs in inv.groups.items()}
    return out


def remap_locs(obj: Any, file: str, origin: list[int]) -> Any:
    """Every `Loc` in `obj` (a parsed configuration: dataclasses, lists, dicts) that points into the rendered
    text of `file` made to point at the template line it came from."""
    import dataclasses

    seen: set[int] = set()

    def fix(v: Any) -> Any:
        if isinstance(v, Loc):
            if v.file == file and 0 < v.line <= len(origin):
                return Loc(v.file, origin[v.line - 1], v.col)
            return v
        if type(v) is tuple:
            new = tuple(fix(x) for x in v)
            return new if any(a is not b for a, b in zip(new, v)) else v
        walk(v)
        return v

    def walk(o: Any) -> None:
        if o is None or isinstance(o, (str, int, float, bool, bytes)) or id(o) in seen:
            return
        seen.add(id(o))
        if isinstance(o, list):
            for i, v in enumerate(o):
                o[i] = fix(v)
        elif isinstance(o, dict):
            for k in list(o):
                o[k] = fix(o[k])
        elif isinstance(o, (tuple, set, frozenset)):
            for v in o:
                walk(v)  # immutable containers: their mutable members are fixed in place
        elif dataclasses.is_dataclass(o) and not isinstance(o, type):
            for f in dataclasses.fields(o):
                try:
                    cur = getattr(o, f.name)
                except AttributeError:
                    continue
                new = fix(cur)
                if new is not cur:
                    object.__setattr__(o, f.name, new)
        elif hasattr(o, "__dict__") and not callable(o):
            for k, cur in list(vars(o).items()):
                new = fix(cur)
                if new is not cur:
                    try:
                        setattr(o, k, new)
                    except AttributeError:
                        pass

    return fix(obj)
