"""``hub sandbox NAME --port N``: run one sandbox standalone over a socket, with its knobs."""

from __future__ import annotations

import argparse

from hub.connectors.demo import DemoBackend, demo_backends, demo_config, sandbox_app
from hub.connectors.sandboxes.knobs import CONTROL_PATH, Knobs, KnobsError


def run_sandbox(args: argparse.Namespace) -> int:
    """Serve the sandbox ``args.name`` on ``args.host``:``args.port`` until stopped."""
    import uvicorn

    backend = next((b for b in demo_backends() if b.name == args.name), None)
    if backend is None:
        names = ", ".join(b.name for b in demo_backends())
        print(f"hub: no sandbox named {args.name!r} (there are: {names})")
        return 2
    try:
        knobs = Knobs(latency=args.latency_ms / 1000, error_rate=args.error_rate)
    except KnobsError as exc:
        print(f"hub: {exc}")
        return 2
    app = sandbox_app(backend, knobs)
    if app is None:
        print(f"hub: the {args.name} sandbox is not installed")
        return 2
    base_url = f"http://{args.host}:{args.port}"
    print(_stanza(backend, base_url), flush=True)
    print(f"# knobs: GET/POST {base_url}{CONTROL_PATH}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
    return 0


def _stanza(backend: DemoBackend, base_url: str) -> str:
    """A connectors-file table pointing at this sandbox (demo credentials, by env var)."""
    config = demo_config(backend, base_url)
    lines = [
        f"# {backend.name} sandbox on {base_url}; in your connectors file:",
        f"# [connectors.{config.name}]",
        f'# kind = "{config.kind.value}"',
        f'# adapter = "{config.adapter}"',
        f'# base_url = "{config.base_url}"',
    ]
    if config.auth or config.secrets:
        lines.append(f"# [connectors.{config.name}.auth]")
        lines += [f'# {key} = "{value}"' for key, value in config.auth.items()]
        for key, value in config.secrets.items():
            variable = f"{config.name.upper()}_{key.upper()}"
            lines.append(f'# {key}_env = "{variable}"    # export {variable}={value}')
    for key, value in config.options.items():
        lines.append(f"# options.{key} = {value!r}")
    return "\n".join(lines)
