"""podpath: offline verifier and troubleshooter for Kubernetes pod networking."""

__version__ = "0.1.0"
