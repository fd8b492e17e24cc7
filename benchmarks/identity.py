"""The identity benchmarks of issue 14 in one run: the federated sign-in, then SCIM.

Run: ``.venv/bin/python benchmarks/identity.py [--rounds 200] [--users 10000]
[--total 100000] [--requests 200] [--concurrency 8]``. The sign-in part runs on the
embedded defaults (``identity_signin.py``); the SCIM part needs PostgreSQL
(``HUB_TEST_DATABASE_URL``, ``identity_scim.py``). Each part prints its figures and
its goals; either script also runs on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import identity_scim, identity_signin


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="federated sign-ins to time")
    parser.add_argument("--users", type=int, default=10_000, help="users created over SCIM")
    parser.add_argument("--total", type=int, default=100_000, help="users the filters search")
    parser.add_argument("--requests", type=int, default=200, help="requests per filter")
    parser.add_argument("--concurrency", type=int, default=8, help="SCIM clients at once")
    args = parser.parse_args()
    asyncio.run(identity_signin.run(args.rounds))
    asyncio.run(identity_scim.run(args.users, args.total, args.requests, args.concurrency))


if __name__ == "__main__":
    main()
