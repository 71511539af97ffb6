"""podpath: offline verifier and troubleshooter for Kubernetes pod networking.

    import podpath
    snap = podpath.load("examples/seed000-ipv6-native-cidr/broken")
    for finding in snap.check().findings:
        print(finding.id, finding.message)
"""

__version__ = "0.1.0"

from podpath.snapshot import Snapshot, load  # noqa: E402

__all__ = ["Snapshot", "load", "__version__"]
