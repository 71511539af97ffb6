"""Repair operators, one module per dialect (frr, bird, cilium, ...): importing this package registers
them all in `podpath.repair.candidates.OPERATORS`."""

import importlib
import pkgutil

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_m}")
