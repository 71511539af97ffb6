"""Root cause and verified repair (issue 11).

Operators (`repair.operators`, one module per dialect) look at what the simulation lost and propose
`Candidate`s: the mistake in the user's terms and a `Patch` of their own file at its line. `repair.verify`
applies each to a copy, re-simulates and compares with the baseline (sessions, kernel tables, pod pairs);
`repair.search` keeps the verified ones, ranks them and combines independent ones. Nothing here reads files:
texts come from `Snapshot.texts`, re-simulation from `podpath.load(root, overlay=...)`."""

from podpath.repair.edit import Patch, PatchConflict, TextEdit

__all__ = ["Patch", "PatchConflict", "TextEdit"]
