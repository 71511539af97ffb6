"""FRR, BIRD and GoBGP instances inside lab hosts, and reading their tables.

Each instance keeps everything under the run's work directory (configs,
sockets, pid files) and writes its logs to the run's log directory; errors
quote the tail of the relevant log. Daemons run in the foreground as children
of the lab so that their pids are recorded for cleanup.

FRR: zebra + staticd + bgpd (+ mgmtd on FRR >= 9) with pathspace `-N
pp<id>-<name>`. A per-instance directory is bind-mounted over /var/run/frr and
/etc/frr in the daemons' private mount namespace, so instances never collide on
sockets and nothing is written to the system's FRR directories; the user's
config is loaded with `vtysh -b`, FRR's own boot path. FRR drops privileges to
its `frr` user (running with `-u root` fails: root is not in group frrvty).

BIRD: `bird -f -c CONF -s SOCK -P PID`, queried with `birdc -s SOCK`.

Configurations hold passwords: they are written only to files of mode 0600 in
directories of mode 0700 (`private_file`), and reach FRR through such a file or
vtysh's stdin, never a command line (any local user can read every process's argv).

GoBGP: `gobgpd` with a generated TOML config, `port = -1` (no BGP listener,
like Cilium's embedded GoBGP) and the gRPC API on 127.0.0.1:<port> inside the
host's namespace; queried with `gobgp -p <port> ... -j`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from podpath.redact import redact_statements
from podpath.routing.route import Route

from . import parsers
from .errors import CommandError, ConvergenceTimeout, DaemonError
from .netns import Bind, Host, LabNetwork
from .rootfs import DaemonGeneration, resolve_generation

FRR_ORDER = ("mgmtd", "zebra", "staticd", "ospfd", "ospf6d", "bgpd")
# Daemons started only when the configuration uses them (their zebra client name, what needs them).
FRR_OPTIONAL = {"ospfd": ("ospf", re.compile(r"^\s*(router ospf\s*$|router ospf vrf |ip ospf )", re.M)),
                "ospf6d": ("ospf6", re.compile(r"^\s*(router ospf6\b|ipv6 ospf6 )", re.M))}


def private_dir(path: Path) -> Path:
    """A directory only root can enter (configs with passwords live below it)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path, text: str) -> Path:
    """Write `text` to a file readable only by its owner (root): created 0600, never wider."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)
    return path


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


class Daemon:
    """Common process handling: start, liveness, stop, log tails."""

    kind = "daemon"

    def __init__(self, host: Host, name: str | None, daemons: str | DaemonGeneration) -> None:
        self.host = host
        self.lab: LabNetwork = host.lab
        self.name = name or host.name
        self.gen = resolve_generation(daemons)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.dir = self.lab.work_dir / f"{self.kind}-{self.name}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.lab.on_teardown(self.stop)

    def log_path(self, part: str) -> Path:
        return self.lab.log_dir / f"{self.kind}-{self.name}-{part}.log"

    def _spawn(self, part: str, argv: Sequence[str], binds: Sequence[Bind] = ()) -> None:
        self.procs[part] = self.host.popen(argv, log=self.log_path(part), root=self.gen.root, binds=binds,
                                           hostname=self.host.name)

    def run(self, argv: Sequence[str], *, binds: Sequence[Bind] = (), check: bool = True,
            timeout: float = 30.0, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.host.run(argv, root=self.gen.root, binds=binds, check=check, timeout=timeout, input=input)

    def check_alive(self) -> None:
        for part, proc in self.procs.items():
            if proc.poll() is not None:
                raise DaemonError(f"{self.kind} {part} on {self.host.name} exited with {proc.returncode}"
                                  f"\n{self.logs()}")

    def logs(self) -> str:
        parts = []
        for path in sorted(self.lab.log_dir.glob(f"{self.kind}-{self.name}-*")):
            tail = _tail(path)
            if tail:
                parts.append(f"--- {path}\n{tail}")
        return "\n".join(parts)

    def _wait(self, what: str, ready: Any, bound: float) -> None:
        deadline = time.monotonic() + bound
        while True:
            self.check_alive()
            if ready():
                return
            if time.monotonic() > deadline:
                raise DaemonError(f"{self.kind} on {self.host.name}: {what} not ready after {bound:g} s"
                                  f"\n{self.logs()}")
            time.sleep(0.05)

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM every process, SIGKILL after `grace` seconds."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def convergence_state(self) -> Any:
        """A JSON-able view of the tables and sessions, without timers (for wait_converged)."""
        raise NotImplementedError


# --- FRR ------------------------------------------------------------------------------------


class FrrInstance(Daemon):
    """zebra + staticd + bgpd (+ mgmtd) in one namespace, configured from frr.conf text."""

    kind = "frr"

    def __init__(self, host: Host, config: str, *, name: str | None = None,
                 daemons: str | DaemonGeneration = "host", bgp_port: int = 179,
                 strict: bool = True, log_level: str = "informational",
                 load: str = "commands") -> None:
        super().__init__(host, name, daemons)
        if load not in ("commands", "boot"):
            raise ValueError("load must be 'commands' or 'boot'")
        self.load = load
        self.config = config
        self.pathspace = f"{self.lab.prefix}{self.name}"
        self.bgp_port = bgp_port
        self.strict = strict
        self.log_level = log_level
        self.config_errors = ""
        m = re.search(r"^\s*frr defaults (\w+)", config, re.M)
        self.profile = m.group(1) if m else None

    @property
    def binds(self) -> list[Bind]:
        return [(self.dir / "run", "/var/run/frr"), (self.dir / "etc", "/etc/frr")]

    def _prepare(self) -> list[str]:
        uid, gid = self.gen.user_ids("frr")
        run, etc = self.dir / "run", self.dir / "etc" / self.pathspace
        for path in (run, run / self.pathspace):
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, uid, gid)
        # Only vtysh (root) reads the configuration; the daemons get it from vtysh.
        private_dir(etc)
        private_file(etc / "vtysh.conf", "service integrated-vtysh-config\n")
        private_file(etc / "frr.conf", self.config)
        daemons = [d for d in FRR_ORDER if self.gen.has(f"/usr/lib/frr/{d}")
                   and (d not in FRR_OPTIONAL or FRR_OPTIONAL[d][1].search(self.config))]
        for d in daemons:
            log = self.log_path(d)
            log.touch(mode=0o600)
            os.chmod(log, 0o600)  # daemon logs may quote the configuration: owner (frr) only
            os.chown(log, uid, gid)
        return daemons

    def start(self, bound: float = 30.0) -> FrrInstance:
        """Start the daemons in FRR's order, wait for their vty sockets, load the config."""
        for d in self._prepare():
            argv = [f"/usr/lib/frr/{d}", "-N", self.pathspace, "--log", f"file:{self.log_path(d)}",
                    "--log-level", self.log_level]
            if self.profile:
                argv += ["-F", self.profile]
            if d == "bgpd":
                argv += ["-p", str(self.bgp_port)]
            self._spawn(d, argv, self.binds)
            sock = self.dir / "run" / self.pathspace / f"{d}.vty"
            self._wait(f"{d} vty socket", sock.exists, bound)
        self._wait("zebra clients", self._clients_connected, bound)
        self._load_config()
        return self

    def _clients_connected(self) -> bool:
        """bgpd/staticd have their zebra session (and so the interface list).

        Loading `router bgp` before that makes the first BGP_Start fail and
        the session waits for FRR's idle-hold timer (seconds) to retry.
        """
        if "zebra" not in self.procs:
            return True
        out = self.vtysh("show zebra client summary")
        names = {line.split()[0] for line in out.splitlines() if line.strip()}
        want = {"bgp" if d == "bgpd" else "static" for d in self.procs if d in ("bgpd", "staticd")}
        want |= {FRR_OPTIONAL[d][0] for d in self.procs if d in FRR_OPTIONAL}
        return want <= names

    def _load_config(self) -> None:
        """Check the config with `vtysh -C` (line-numbered errors), then apply it.

        `load="boot"` applies it with `vtysh -b` exactly like FRR's init script;
        bgpd then holds sessions until about a second after the end of the
        configuration and its idle-hold timer (~4 s in all). `load="commands"`
        sends the same lines as commands on vtysh's stdin (never as `-c` arguments: the
        process list would show the passwords), which starts sessions at once.
        """
        conf = f"/etc/frr/{self.pathspace}/frr.conf"
        dry = self.run(["vtysh", "-N", self.pathspace, "-C", "-f", conf], binds=self.binds, check=False)
        if dry.returncode != 0:
            self._config_failed((dry.stdout + dry.stderr).strip())
        commands = None
        if self.load == "boot":
            argv = ["vtysh", "-N", self.pathspace, "-b"]
        else:
            argv = ["vtysh", "-N", self.pathspace]
            commands = "\n".join(["configure terminal", *frr_command_lines(self.config), "end", ""])
        res = self.run(argv, binds=self.binds, check=False, timeout=60, input=commands)
        out = (res.stdout + res.stderr).strip()
        if commands is not None:
            out = _vtysh_complaints(out)
        if res.returncode != 0 or re.search(r"^% ", out, re.M):
            self._config_failed(out)

    def _config_failed(self, out: str) -> None:
        out = redact_statements(out)  # vtysh quotes the offending line, passwords included
        self.config_errors += out + "\n"
        if self.strict:
            raise DaemonError(f"FRR on {self.host.name} rejected its configuration:\n{out}")

    def vtysh(self, *commands: str, timeout: float = 30.0) -> str:
        argv = ["vtysh", "-N", self.pathspace]
        for c in commands:
            argv += ["-c", c]
        try:
            return self.run(argv, binds=self.binds, timeout=timeout).stdout
        except CommandError as e:
            self.check_alive()
            raise DaemonError(f"vtysh on {self.host.name}: {e}") from None

    def vtysh_json(self, command: str) -> Any:
        out = self.vtysh(command)
        try:
            values = parsers.loads_json_stream(out)  # `vrf all` may print one object per VRF
        except json.JSONDecodeError as e:
            raise DaemonError(f"vtysh {command!r} on {self.host.name}: not JSON ({e}): {out[:300]}") from None
        if not values:
            return {}
        return values[0] if len(values) == 1 else values

    def version(self) -> str:
        """e.g. 'FRRouting 8.4.4' from `show version`."""
        first = self.vtysh("show version").splitlines()[0]
        m = re.match(r"(FRRouting \S+)", first)
        return m.group(1) if m else first

    def bgp_summary(self) -> Any:
        return self.vtysh_json("show bgp vrf all summary json")

    def bgp_table(self, afi: str = "ipv6") -> Any:
        return self.vtysh_json(f"show bgp vrf all {afi} unicast json")

    def bgp_detail(self, afi: str = "ipv6") -> Any:
        return self.vtysh_json(f"show bgp vrf all {afi} unicast json detail")

    def bgp_routes(self, afi: str = "ipv6") -> list[Route]:
        """Every path of every VRF as podpath Routes (from the JSON detail view)."""
        return parsers.frr_detail_routes(self.bgp_detail(afi))

    def rib(self, afi: str = "ipv6") -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Zebra's RIB as {vrf: {prefix: [entry...]}} (same shape for FRR 8.4 and 10.x)."""
        cmd = "show ip route vrf all json" if afi == "ipv4" else "show ipv6 route vrf all json"
        return parsers.frr_rib_by_vrf(self.vtysh_json(cmd))

    def established(self) -> dict[str, bool]:
        """{peer: is Established} over all VRFs and families."""
        return parsers.frr_peer_states(self.bgp_summary())

    @property
    def runs_ospf(self) -> bool:
        return any(d in self.procs for d in FRR_OPTIONAL)

    def ospf_routes(self) -> list[dict[str, Any]]:
        """The routes ospfd and ospf6d gave zebra (`parsers.frr_ospf_rows`)."""
        rows: list[dict[str, Any]] = []
        if "ospfd" in self.procs:
            rows += parsers.frr_ospf_rows(self.vtysh_json("show ip route json"))
        if "ospf6d" in self.procs:
            rows += parsers.frr_ospf_rows(self.vtysh_json("show ipv6 route json"))
        return rows

    def ospf_full(self) -> bool:
        """Every OSPF neighbour is Full (or 2-Way with a DROther: no adjacency is expected there)."""
        for cmd, daemon in (("show ip ospf neighbor json", "ospfd"), ("show ipv6 ospf6 neighbor json", "ospf6d")):
            if daemon not in self.procs:
                continue
            text = self.vtysh(cmd)
            if re.search(r"(ExStart|Exchange|Loading|Init|Attempt)", text):
                return False
        return True

    def convergence_state(self) -> Any:
        tables = {afi: parsers.frr_table_digest(self.bgp_table(afi)) for afi in ("ipv4", "ipv6")}
        state = {"peers": parsers.frr_summary_digest(self.bgp_summary()), "tables": tables}
        if self.runs_ospf:
            state["ospf"] = self.ospf_routes()
        return state


def _vtysh_complaints(out: str) -> str:
    """What an interactive vtysh (commands on stdin) said, without its banner and the prompts
    echoing every command: the `% ...` complaints and any other message."""
    keep = []
    for line in out.splitlines():
        if not line.strip() or line.startswith(("Hello, this is", "Copyright")):
            continue
        if not line.startswith("%") and re.match(r"^\S*#( |$)", line):
            continue  # `host(config-router)# <command>`
        keep.append(line)
    return "\n".join(keep)


def frr_command_lines(config: str) -> list[str]:
    """Config lines as vtysh commands: no comments, no `frr version/defaults` (given with -F)."""
    out = []
    for line in config.splitlines():
        text = line.strip()
        if not text or text.startswith("!") or text == "end" or text.startswith(("frr version", "frr defaults")):
            continue
        out.append(line.rstrip())
    return out


# --- BIRD ------------------------------------------------------------------------------------


class BirdInstance(Daemon):
    """One BIRD 2 process, configured from bird.conf text, controlled via its socket."""

    kind = "bird"

    def __init__(self, host: Host, config: str, *, name: str | None = None,
                 daemons: str | DaemonGeneration = "host") -> None:
        super().__init__(host, name, daemons)
        self.config = config
        self.conf_path = private_dir(self.dir / "conf") / "bird.conf"
        self.socket = self.dir / "bird.ctl"

    def start(self, bound: float = 30.0) -> BirdInstance:
        """Check the config with `bird -p` (clear error), start, wait for the socket."""
        text = self.config
        if not re.search(r"^\s*log\s", text, re.M):
            text = "log stderr all;\n" + text  # otherwise BIRD logs to syslog only
        private_file(self.conf_path, text)
        res = self.run(["bird", "-p", "-c", str(self.conf_path)], check=False)
        if res.returncode != 0:
            raise DaemonError(f"BIRD on {self.host.name} rejected its configuration:\n"
                              f"{redact_statements((res.stdout + res.stderr).strip())}")
        self._spawn("bird", ["bird", "-f", "-c", str(self.conf_path), "-s", str(self.socket),
                             "-P", str(self.dir / "bird.pid")])
        self._wait("control socket", self._up, bound)
        return self

    def _up(self) -> bool:
        if not self.socket.exists():
            return False
        res = self.run(["birdc", "-s", str(self.socket), "show", "status"], check=False)
        return "Daemon is up and running" in res.stdout

    def birdc(self, *words: str, timeout: float = 30.0) -> str:
        try:
            out = self.run(["birdc", "-s", str(self.socket), *words], timeout=timeout).stdout
        except CommandError as e:
            self.check_alive()
            raise DaemonError(f"birdc on {self.host.name}: {e}") from None
        return parsers.strip_birdc_banner(out)

    def version(self) -> str:
        m = re.search(r"BIRD (?:version )?(\S+)", self.birdc("show", "status"))
        return f"BIRD {m.group(1)}" if m else "BIRD ?"

    def routes(self, *args: str) -> list[Route]:
        """`show route all [args]` parsed into Routes (all tables unless a table is given)."""
        text = self.birdc("show", "route", "all", *(args or ("table", "all")))
        return parsers.parse_bird_routes(text)

    def protocols(self) -> dict[str, dict[str, Any]]:
        return parsers.parse_bird_protocols(self.birdc("show", "protocols", "all"))

    def kick(self) -> list[str]:
        """Restart BGP protocols that sit in BIRD's error wait after a refused connect.

        A peer whose daemon was not listening yet when BIRD first connected makes
        BIRD wait `error wait time` (60 s by default) before it tries again, and it
        accepts no connection meanwhile: an artefact of start-up order, not of the
        configuration. `birdc restart` ends the wait; a session that cannot come up
        fails again for its real reason.
        """
        kicked = []
        for name, p in sorted(self.protocols().items()):
            if p.get("proto") == "BGP" and p.get("error_wait") and p.get("info", "").startswith("Idle"):
                self.birdc("restart", name)
                kicked.append(name)
        return kicked

    def established(self) -> dict[str, bool]:
        return {name: p.get("info", "").startswith("Established")
                for name, p in self.protocols().items() if p.get("proto") == "BGP"}

    @property
    def runs_ospf(self) -> bool:
        return bool(re.search(r"^\s*protocol\s+ospf\b", self.config, re.M))

    def ospf_routes(self) -> list[dict[str, Any]]:
        """The routes of every OSPF protocol (`parsers.bird_ospf_rows`)."""
        rows: list[dict[str, Any]] = []
        for name, p in sorted(self.protocols().items()):
            if p.get("proto") == "OSPF":
                rows += parsers.bird_ospf_rows(self.birdc("show", "route", "protocol", name))
        return rows

    def ospf_full(self) -> bool:
        for name, p in sorted(self.protocols().items()):
            if p.get("proto") == "OSPF" and re.search(r"(Exstart|Exchange|Loading|Init)",
                                                      self.birdc("show", "ospf", "neighbors", name)):
                return False
        return True

    def convergence_state(self) -> Any:
        protos = {n: {k: p.get(k) for k in ("state", "info", "routes")}
                  for n, p in self.protocols().items()}
        routes = sorted(json.dumps(r.to_json(), sort_keys=True) for r in self.routes())
        return {"protocols": protos, "routes": routes}


# --- GoBGP -----------------------------------------------------------------------------------


@dataclass
class GobgpNeighbor:
    address: str
    peer_as: int
    families: tuple[str, ...] = ("ipv6-unicast",)
    connect_retry: int = 1
    local_address: str | None = None
    ebgp_multihop_ttl: int | None = None


@dataclass
class GobgpConfig:
    asn: int
    router_id: str
    neighbors: list[GobgpNeighbor] = field(default_factory=list)
    listen_port: int = -1  # Cilium's embedded GoBGP does not listen by default
    # Cilium >= 1.16: the global import policy rejects every path except local ones
    # (GoBGP applies global import policy to locally added paths as well, so Cilium
    # installs an `allow-local` statement matching route-type local before the default).
    reject_received: bool = False

    def toml(self) -> str:
        lines: list[str] = []
        if self.reject_received:
            lines += ["[[policy-definitions]]", '  name = "allow-local"', "  [[policy-definitions.statements]]",
                      '    name = "allow-local-stmt"',
                      "    [policy-definitions.statements.conditions.bgp-conditions]", '      route-type = "local"',
                      "    [policy-definitions.statements.actions]", '      route-disposition = "accept-route"', "",
                      "[global.apply-policy.config]", '  import-policy-list = ["allow-local"]',
                      '  default-import-policy = "reject-route"', ""]
        lines += ["[global.config]", f"  as = {self.asn}", f'  router-id = "{self.router_id}"',
                  f"  port = {self.listen_port}"]
        for n in self.neighbors:
            lines += ["", "[[neighbors]]", "  [neighbors.config]",
                      f'    neighbor-address = "{n.address}"', f"    peer-as = {n.peer_as}",
                      "  [neighbors.timers.config]", f"    connect-retry = {n.connect_retry}"]
            if n.local_address:
                lines += ["  [neighbors.transport.config]", f'    local-address = "{n.local_address}"']
            if n.ebgp_multihop_ttl:
                lines += ["  [neighbors.ebgp-multihop.config]", "    enabled = true",
                          f"    multihop-ttl = {n.ebgp_multihop_ttl}"]
            for fam in n.families:
                lines += ["  [[neighbors.afi-safis]]", "    [neighbors.afi-safis.config]",
                          f'      afi-safi-name = "{fam}"']
        return "\n".join(lines) + "\n"


class GobgpInstance(Daemon):
    """gobgpd without a BGP listener; gRPC API on 127.0.0.1:`api_port` in the namespace."""

    kind = "gobgp"

    def __init__(self, host: Host, config: GobgpConfig | str, *, name: str | None = None,
                 daemons: str | DaemonGeneration = "host", api_port: int = 50051) -> None:
        super().__init__(host, name, daemons)
        self.config = config
        self.api_port = api_port
        self.conf_path = private_dir(self.dir / "conf") / "gobgpd.toml"

    def start(self, bound: float = 30.0) -> GobgpInstance:
        text = self.config.toml() if isinstance(self.config, GobgpConfig) else self.config
        private_file(self.conf_path, text)
        self._spawn("gobgpd", ["gobgpd", "-f", str(self.conf_path), "-t", "toml", "-p",
                               "--api-hosts", f"127.0.0.1:{self.api_port}", "--pprof-disable"])
        self._wait("gRPC API", lambda: self.run(self._cli("global"), check=False).returncode == 0, bound)
        return self

    def _cli(self, *args: str) -> list[str]:
        return ["gobgp", "-u", "127.0.0.1", "-p", str(self.api_port), *args]

    def gobgp(self, *args: str) -> str:
        try:
            return self.run(self._cli(*args)).stdout
        except CommandError as e:
            self.check_alive()
            raise DaemonError(f"gobgp on {self.host.name}: {e}") from None

    def gobgp_json(self, *args: str) -> Any:
        out = self.gobgp(*args, "-j")
        return json.loads(out) if out.strip() else None

    def version(self) -> str:
        out = self.run(["gobgpd", "--version"]).stdout
        m = re.search(r"version (\S+)", out)
        return f"GoBGP {m.group(1)}" if m else out.strip()

    def add_route(self, route: Route) -> None:
        """Originate `route` with its attributes (`gobgp global rib add ...`)."""
        self.gobgp("global", "rib", "add", *gobgp_path_args(route))

    def add_routes(self, routes: Iterable[Route]) -> None:
        for r in routes:
            self.add_route(r)

    def rib(self, afi: str = "ipv6") -> list[Route]:
        return parsers.gobgp_rib_routes(self.gobgp_json("global", "rib", "-a", afi))

    def adj_in(self, neighbor: str, afi: str = "ipv6") -> list[Route]:
        return parsers.gobgp_rib_routes(self.gobgp_json("neighbor", neighbor, "adj-in", "-a", afi))

    def neighbors(self) -> Any:
        return self.gobgp_json("neighbor")

    def established(self) -> dict[str, bool]:
        return {n["conf"]["neighbor_address"]: n.get("state", {}).get("session_state") == 6
                for n in self.neighbors() or []}

    def convergence_state(self) -> Any:
        tables = {}
        for afi in ("ipv4", "ipv6"):
            tables[afi] = sorted(json.dumps(r.to_json(), sort_keys=True) for r in self.rib(afi))
        return {"peers": self.established(), "tables": tables}


def gobgp_path_args(route: Route) -> list[str]:
    """`gobgp global rib add` arguments for a route (GoBGP 3.10/3.36 CLI grammar).

    ORIGIN is always given: the CLI's default is INCOMPLETE, not IGP.
    """
    afi = "ipv4" if route.prefix.version == 4 else "ipv6"
    args = [str(route.prefix), "-a", afi, "origin", route.origin.value]
    if route.next_hop is not None:
        args += ["nexthop", str(route.next_hop)]
    if route.as_path.segments:
        args += ["aspath", gobgp_aspath(route)]
    if route.communities:
        args += ["community", ",".join(f"{a}:{b}" for a, b in sorted(route.communities))]
    if route.large_communities:
        args += ["large-community", ",".join(f"{a}:{b}:{c}" for a, b, c in sorted(route.large_communities))]
    if route.med is not None:
        args += ["med", str(route.med)]
    if route.local_pref is not None:
        args += ["local-pref", str(route.local_pref)]
    if route.atomic_aggregate or any(e.kind != "rt" for e in route.ext_communities):
        raise ValueError(f"{route.prefix}: the gobgp CLI cannot set ATOMIC_AGGREGATE or non-RT extended communities")
    if route.ext_communities:  # trailing bare words: `rt A:B [C:D ...]`
        args += ["rt", *(f"{e.admin}:{e.value}" for e in sorted(route.ext_communities))]
    return args


def gobgp_aspath(route: Route) -> str:
    parts = []
    for seg in route.as_path.segments:
        text = ",".join(str(a) for a in seg.asns)
        parts.append("{" + text + "}" if seg.set_ else " ".join(str(a) for a in seg.asns))
    return " ".join(parts)


# --- convergence, kernel tables, versions ----------------------------------------------------


class _Convergent(Protocol):
    host: Host

    def convergence_state(self) -> Any: ...

    def established(self) -> dict[str, bool]: ...

    def check_alive(self) -> None: ...


def wait_converged(instances: Sequence[_Convergent], *, quiet_period: float = 2.0,
                   bound: float = 60.0, min_time: float = 0.0, poll: float = 0.25,
                   require_established: bool = True,
                   expected: Sequence[Collection[str]] | None = None,
                   nudge: Callable[[], object] | None = None, nudge_every: float = 5.0) -> float:
    """Poll every instance's tables and sessions until none changed for `quiet_period`.

    With `require_established`, every configured BGP session must also be
    Established (GoBGP without a listener only connects out, every 5-10 s, so a
    quiet period alone can end before its session exists). Returns the seconds
    it took; raises ConvergenceTimeout after `bound`, naming what was not ready.
    `expected[i]` names the sessions of instance i that must be Established (when
    not every configured one should be: a prediction to confirm, not an assumption).
    `nudge` is called at most every `nudge_every` seconds while an expected
    session is down (e.g. BirdInstance.kick, to end error waits caused by start-up order).
    """
    start = time.monotonic()
    last: list[Any] = [None] * len(instances)
    stable_since = start
    last_nudge = start
    while True:
        now_states = []
        for inst in instances:
            inst.check_alive()
            now_states.append(inst.convergence_state())
        now = time.monotonic()
        changed = [i for i, s in enumerate(now_states) if s != last[i]]
        if expected is not None:
            down = [f"{type(inst).__name__}@{inst.host.name}:{peer}" for inst, want in zip(instances, expected)
                    for peer, up in inst.established().items() if peer in want and not up]
        elif require_established:
            down = [f"{type(inst).__name__}@{inst.host.name}:{peer}" for inst in instances
                    for peer, up in inst.established().items() if not up]
        else:
            down = []
        if changed or down:
            stable_since = now
            last = now_states
        if down and nudge is not None and now - last_nudge >= nudge_every:
            nudge()
            last_nudge = now
        elif now - stable_since >= quiet_period and now - start >= min_time:
            return now - start
        if now - start > bound:
            names = [f"{type(instances[i]).__name__}@{instances[i].host.name}" for i in changed]
            raise ConvergenceTimeout(f"not converged after {bound:g} s; still changing: {names}; "
                                     f"sessions down: {down}")
        time.sleep(poll)


_VOLATILE_ROUTE_KEYS = ("expires", "age", "used", "lastused", "nhid")  # nhid: allocated per run


def kernel_routes(host: Host) -> dict[str, list[dict[str, Any]]]:
    """`ip -j route show table all` for IPv4 and IPv6 of one host, sorted, without timers."""
    out: dict[str, list[dict[str, Any]]] = {}
    for fam, flag in (("ipv4", "-4"), ("ipv6", "-6")):
        res = host.ip("-j", flag, "route", "show", "table", "all")
        routes = json.loads(res.stdout or "[]")
        for r in routes:
            for k in _VOLATILE_ROUTE_KEYS:
                r.pop(k, None)
        out[fam] = sorted(routes, key=lambda r: json.dumps(r, sort_keys=True))
    return out


def collect_kernel_routes(lab: LabNetwork) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """{host name: {ipv4: [...], ipv6: [...]}} for every host of the lab (not switches)."""
    return {name: kernel_routes(host) for name, host in sorted(lab.hosts.items())}


def daemon_versions(daemons: str | DaemonGeneration = "host") -> dict[str, str]:
    """Versions of the binaries of a generation, without starting daemons."""
    gen = resolve_generation(daemons)
    cmds = {"frr": ["/usr/lib/frr/bgpd", "--version"], "bird": ["bird", "--version"],
            "gobgp": ["gobgpd", "--version"]}
    out = {}
    for key, argv in cmds.items():
        full = ["chroot", str(gen.root), *argv] if gen.root else argv
        res = subprocess.run(full, capture_output=True, text=True, timeout=30)
        text = res.stdout + res.stderr
        m = re.search(r"version (\S+)", text)
        out[key] = m.group(1) if m else text.strip()
    return out

