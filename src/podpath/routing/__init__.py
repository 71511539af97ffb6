"""Vendor-independent routing model: routes, routing policy, and (later) BGP simulation."""
