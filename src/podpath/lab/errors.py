"""Exceptions of the lab.

Operational failures (`LabError` and subclasses) are ordinary exceptions.
Interruptions of a run by a signal or by the run's hard time bound derive from
`BaseException`, like `KeyboardInterrupt`, so that a careless `except Exception`
in a caller cannot swallow them and keep a half-torn-down lab running.
"""

from __future__ import annotations


class LabError(Exception):
    """Something in the lab failed (a command, a daemon, convergence)."""


class LabPermissionError(LabError):
    """The lab cannot run here (not root, no netns support); the message says why."""


class CommandError(LabError):
    """A command run by the lab exited non-zero or timed out."""

    def __init__(self, argv: list[str], returncode: int | None, stdout: str, stderr: str) -> None:
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        status = "timed out" if returncode is None else f"exit status {returncode}"
        detail = (stderr or stdout).strip()
        if len(detail) > 2000:
            detail = "…" + detail[-2000:]
        super().__init__(f"{' '.join(argv)}: {status}" + (f"\n{detail}" if detail else ""))


class DaemonError(LabError):
    """A daemon failed to start, to load its configuration or to answer."""


class ConvergenceTimeout(LabError):
    """Tables kept changing (or sessions stayed down) until the bound expired."""


class RootfsError(LabError):
    """The chroot root filesystem for a daemon generation is missing or broken."""


class LabInterrupted(BaseException):
    """The run was stopped by a signal (SIGINT or SIGTERM); the lab was torn down."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"lab run interrupted by signal {signum}")


class LabTimeout(BaseException):
    """The run exceeded its hard time bound; the lab was torn down."""
