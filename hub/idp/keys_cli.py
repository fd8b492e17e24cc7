"""``hub signing-keys list|rotate``: the identity provider's keys from the command line."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from hub.db import Database
from hub.idp.keys import KeyRing, SigningKeys
from hub.settings import load_settings


def register(commands: Any) -> None:
    """Add the ``signing-keys`` command to the ``hub`` parser."""
    keys = commands.add_parser(
        "signing-keys", help="list or rotate the keys the hub signs ID tokens with"
    )
    keys.add_argument("action", choices=("list", "rotate"))
    keys.set_defaults(run=cmd_signing_keys)


def describe(ring: KeyRing) -> str:
    lines = [f"current  {ring.current.kid}", f"next     {ring.next.kid}"]
    lines += [f"retired  {key.kid}" for key in ring.retired]
    return "\n".join(lines)


def cmd_signing_keys(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def run() -> str:
        db = Database(settings.effective_database_url)
        try:
            keys = SigningKeys(db, settings.signing_key)
            ring = await (keys.rotate() if args.action == "rotate" else keys.ring())
            return describe(ring)
        finally:
            await db.close()

    print(asyncio.run(run()))
    return 0
