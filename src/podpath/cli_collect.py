"""`podpath collect OUT`: a snapshot from a live cluster (podpath.collect does the work).

Exit 0: something was collected and podpath reads OUT without errors; 1: collected, but podpath reports
errors reading it (they are printed); 2: nothing could be collected, or a usage error (OUT not empty without
--force, a bad --router)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from podpath import cli
from podpath.cli import _err, _out, app


class _Fmt(str, Enum):
    text = "text"
    json = "json"


@app.command("collect")
def collect_cmd(
        out: Path = typer.Argument(..., help="Directory to write the snapshot to (absent or empty; --force "
                                   "writes into an existing one)."),
        context: Optional[str] = typer.Option(None, "--context", help="kubectl/helm context."),
        kubeconfig: Optional[str] = typer.Option(None, "--kubeconfig", help="kubectl/helm kubeconfig file."),
        no_kubernetes: bool = typer.Option(False, "--no-kubernetes", help="Do not run kubectl or helm."),
        cilium_namespace: str = typer.Option("kube-system", "--cilium-namespace",
                                             help="Namespace of Cilium's agents, cilium-config and Helm release."),
        helm_release: str = typer.Option("cilium", "--helm-release", help="Cilium's Helm release name."),
        no_cilium_status: bool = typer.Option(False, "--no-cilium-status",
                                              help="Do not run `cilium-dbg status` in each node's agent."),
        talos_nodes: Optional[list[str]] = typer.Option(None, "--talos-nodes", help="Talos nodes (names or "
                                                        "addresses; comma-separated or repeated) to read the "
                                                        "machine configuration and routes of."),
        talosconfig: Optional[str] = typer.Option(None, "--talosconfig", help="talosctl configuration file."),
        talos_context: Optional[str] = typer.Option(None, "--talos-context", help="talosctl context."),
        router: Optional[list[str]] = typer.Option(None, "--router", help="NAME=COMMAND_PREFIX (repeatable): "
                                                   "a machine running FRR and/or BIRD, e.g. pve01='ssh pve01 "
                                                   "sudo'; an empty prefix runs here."),
        vtysh: Optional[list[str]] = typer.Option(None, "--vtysh", help="[NAME=]COMMAND to run instead of "
                                                  "`vtysh` (e.g. 'vtysh -N blue')."),
        birdc: Optional[list[str]] = typer.Option(None, "--birdc", help="[NAME=]COMMAND to run instead of "
                                                  "`birdc` (e.g. 'birdc -s /run/bird/bird.ctl')."),
        bird_config: Optional[list[str]] = typer.Option(None, "--bird-config", help="[NAME=]PATH of the BIRD "
                                                        "configuration (default /etc/bird/bird.conf), read "
                                                        "with `cat` behind the prefix."),
        hubble_last: int = typer.Option(0, "--hubble-last", help="Also collect the last N Hubble flows "
                                        "(`hubble observe --last N -o json`)."),
        hubble_server: Optional[str] = typer.Option(None, "--hubble-server", help="hubble --server address."),
        timeout: float = typer.Option(60.0, "--timeout", help="Seconds each command may take."),
        keep_secrets: bool = typer.Option(False, "--keep-secrets", help="Keep passwords, keys and tokens in "
                                          "the collected files (by default they are <redacted>)."),
        manifest: Optional[Path] = typer.Option(None, "--manifest", help="A podpath.yaml of your own "
                                                "(segments, interfaces, versions) to merge the host files into."),
        force: bool = typer.Option(False, "--force", help="Write into a non-empty OUT (same-named files are "
                                   "replaced)."),
        format: _Fmt = typer.Option(_Fmt.text, "--format", "-f")) -> None:
    """Collect a snapshot from a live cluster: Kubernetes objects (never Secrets), the Cilium Helm values and
    cilium-config, each agent's `cilium-dbg status`, Talos machine configurations and routes, and each
    router's FRR running configuration and BGP tables and BIRD configuration and routes. Every source is
    optional; what was not collected is listed with the reason (and in OUT/COLLECTED.md). Then run
    `podpath check OUT`."""
    from podpath import collect as c
    from podpath.redact import redact_statements
    from podpath.report import diagnostic_texts
    from podpath.snapshot import load

    err = _err()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not force)):
        err.print(f"error: {out}: " + ("not a directory" if not out.is_dir() else
                                       "not empty (choose a new directory, or --force to write into it)"),
                  markup=False)
        raise typer.Exit(2)
    if manifest is not None and not manifest.is_file():
        err.print(f"error: --manifest {manifest}: no such file", markup=False)
        raise typer.Exit(2)
    try:
        routers = [c.parse_router(s) for s in router or []]
        if len({r.name for r in routers}) != len(routers):
            raise ValueError("--router: a NAME is given twice")
        for specs, attr, opt in ((vtysh, "vtysh", "--vtysh"), (birdc, "birdc", "--birdc"),
                                 (bird_config, "bird_config", "--bird-config")):
            c.apply_per_router(routers, specs or [], attr, opt)
    except ValueError as e:
        err.print(f"error: {e}", markup=False)
        raise typer.Exit(2) from None
    nodes = [n.strip() for spec in talos_nodes or [] for n in spec.split(",") if n.strip()]
    opts = c.Options(kubernetes=not no_kubernetes, context=context, kubeconfig=kubeconfig,
                     cilium_namespace=cilium_namespace, helm_release=helm_release,
                     cilium_status=not no_cilium_status, talos_nodes=nodes, talosconfig=talosconfig,
                     talos_context=talos_context, routers=routers, hubble_last=hubble_last,
                     hubble_server=hubble_server, timeout=timeout, keep_secrets=keep_secrets, manifest=manifest)

    def progress(msg: str) -> None:
        if cli.VERBOSITY > 0:
            err.print(f"podpath collect: {msg}", style="dim", markup=False)

    try:
        with cli._status("collecting", format is _Fmt.text):
            res = c.collect(opts, out, progress=progress)
    except OSError as e:
        err.print(f"error: {out}: cannot write the snapshot: {e.strerror or e}", markup=False)
        raise typer.Exit(2) from None
    snap = load(out) if res.collected else None
    errors = [t for level, t in diagnostic_texts(snap) if level == "error"] if snap is not None else []
    if format is _Fmt.json:
        doc = res.document()
        doc["read_errors"] = errors
        typer.echo(redact_statements(json.dumps(doc, indent=2)))
    else:
        o = _out()
        o.print(f"COLLECTED into {out} ({len(res.collected)} file(s); list and commands in "
                f"{out / c.COLLECTED})", markup=False)
        for i in res.collected:
            o.print(f"  {i.file}  {i.what}", markup=False)
        if res.missing:
            o.print("NOT COLLECTED", markup=False)
            for i in res.missing:
                o.print(f"  {i.what}: {redact_statements(i.why)}", markup=False)
        if not keep_secrets:
            o.print("Secrets: none collected; passwords, keys and tokens are <redacted> (--keep-secrets keeps "
                    "them)", markup=False)
        for t in errors:
            err.print(t, style="bold red", markup=False)
        if res.collected:
            o.print(f"next: podpath check {out}", markup=False)
    if not res.collected:
        raise typer.Exit(2)
    if errors:
        raise typer.Exit(1)
