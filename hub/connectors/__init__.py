"""Backends behind the hub: typed interfaces, normalised records, adapters and sandboxes.

Knows nothing of the web layer, widgets or personas.
"""
