"""Small servers that speak each backend's real wire format, seeded from the demo cast.

Every sandbox is a Starlette app wrapped in :class:`~hub.connectors.sandboxes.knobs.KnobsMiddleware`
so latency, errors, hangs, malformed bodies and outages can be dialled in at
construction or at runtime through ``POST /__sandbox/knobs``.
"""
