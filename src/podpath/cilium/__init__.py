"""Cilium knowledge: Helm chart facts per version and the agent's effective settings."""
