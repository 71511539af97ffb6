"""podpath's lab: real FRR, BIRD and GoBGP in network namespaces.

Used to prove the simulator against the daemons (policy probes, differential
tests) and by `podpath lab run`. Everything here needs root; nothing is ever
created in the root network namespace, and every object carries the run's
prefix `pp<6 hex>-` so that `clean_leftovers()` can remove the remains of a
killed run without touching anything else.
"""

from .daemons import (
    BirdInstance,
    FrrInstance,
    GobgpConfig,
    GobgpInstance,
    GobgpNeighbor,
    collect_kernel_routes,
    daemon_versions,
    kernel_routes,
    wait_converged,
)
from .errors import (
    CommandError,
    ConvergenceTimeout,
    DaemonError,
    LabError,
    LabInterrupted,
    LabPermissionError,
    LabTimeout,
    RootfsError,
)
from .netns import Host, LabNetwork, Link, Segment, require_root
from .probe import probe_bird_filter, probe_frr_policy
from .rootfs import DaemonGeneration, ensure_trixie, resolve_generation
from .state import CleanupReport, clean_leftovers

__all__ = [
    "BirdInstance", "CleanupReport", "CommandError", "ConvergenceTimeout", "DaemonError",
    "DaemonGeneration", "FrrInstance", "GobgpConfig", "GobgpInstance", "GobgpNeighbor", "Host",
    "LabError", "LabInterrupted", "LabNetwork", "LabPermissionError", "LabTimeout", "Link",
    "RootfsError", "Segment", "clean_leftovers", "collect_kernel_routes", "daemon_versions",
    "ensure_trixie", "kernel_routes", "probe_bird_filter", "probe_frr_policy", "require_root",
    "resolve_generation", "wait_converged",
]
