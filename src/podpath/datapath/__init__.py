"""Datapath semantics of Cilium: what happens to a packet (policy.py: identities and network policy)."""
