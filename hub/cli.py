"""The ``hub`` command: serve, migrate, seed-demo, demo, check."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hub import logs
from hub.auth import idp_cli
from hub.connectors.config import ConnectorsError
from hub.idp import keys_cli
from hub.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    return load_settings()


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    import uvicorn

    uvicorn.run(
        "hub.asgi:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        # Outlast a load balancer's idle timeout (commonly 60 s), so it never reuses a
        # connection this server has just closed.
        timeout_keep_alive=75,
        log_config=None,
        access_log=False,
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    logs.configure(settings.log_level)
    return _serve(settings, args.host, args.port, args.workers)


async def _migrate(settings: Settings) -> None:
    from hub.db import Database
    from hub.db.migrate import upgrade

    db = Database(settings.effective_database_url)
    try:
        await upgrade(db)
    finally:
        await db.close()


async def _seed(settings: Settings) -> tuple[int, int]:
    from hub.db import Database
    from hub.db.types import utcnow
    from hub.demo.content import seed_demo_content
    from hub.demo.playbooks import seed_demo_playbooks
    from hub.demo.questions import seed_demo_questions
    from hub.demo.seed import seed_demo
    from hub.services.engagement.seed import seed_engagement

    db = Database(settings.effective_database_url)
    try:
        added = await seed_demo(db, population_too=True)
        await seed_engagement(db)
        await seed_demo_playbooks(db)
        await seed_demo_questions(db)
        await seed_demo_content(db, utcnow())
        return added
    finally:
        await db.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    asyncio.run(_migrate(_settings()))
    print("database schema is current")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    orgs, users = asyncio.run(_seed(_settings()))
    print(f"demo data seeded: {orgs} partner orgs and {users} users added")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    os.environ["HUB_DEMO"] = "1"
    os.environ.setdefault("HUB_TEMPLATE_RELOAD", "1")  # edit a template, reload the page
    os.environ.setdefault("HUB_BASE_URL", f"http://{args.host}:{args.port}")
    if args.allow_remote:
        os.environ["HUB_DEMO_ALLOW_REMOTE"] = "1"
    data_dir = Path(os.environ.setdefault("HUB_DATA_DIR", str(Path.cwd())))
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = _settings()
    logs.configure(settings.log_level)
    asyncio.run(_migrate(settings))
    asyncio.run(_seed(settings))
    mail_server = None
    if settings.smtp_host is None:
        # The hub's own mail goes over SMTP to the demo's mail server (/demo/mailbox).
        from hub.demo import mailbox

        mail_server, port = mailbox.start(data_dir)
        os.environ.update(
            HUB_SMTP_HOST="127.0.0.1", HUB_SMTP_PORT=str(port), HUB_SMTP_SECURITY="none"
        )
    print(f"Partner Hub demo on {settings.base_url} (data in {data_dir})", flush=True)
    try:
        return _serve(settings, args.host, args.port, workers=1)
    finally:
        if mail_server is not None:
            mail_server.stop()


def cmd_check(args: argparse.Namespace) -> int:
    from hub.checks import format_table, run_checks
    from hub.resources import Hub

    async def run() -> bool:
        hub = Hub.from_settings(_settings())
        try:
            results = await run_checks(hub)
        finally:
            await hub.close()
        print(format_table(results))
        return all(result.ok for result in results)

    return 0 if asyncio.run(run()) else 1


def cmd_worker(args: argparse.Namespace) -> int:
    from arq.worker import run_worker

    from hub.scheduler import worker_settings

    settings = _settings()
    logs.configure(settings.log_level)
    try:
        options = worker_settings(settings)
    except ValueError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
    run_worker(options)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from hub.resources import Hub
    from hub.services.sync import sync_activity

    async def run() -> str:
        hub = Hub.from_settings(_settings())
        try:
            report = await sync_activity(hub.db, hub.backends)
        finally:
            await hub.close()
        return f"{report.seen} facts seen, {report.recorded} new, {report.failures} reads failed"

    print(asyncio.run(run()))
    return 0


def cmd_program_recompute(args: argparse.Namespace) -> int:
    from hub.db import Database
    from hub.services.program.summaries import refresh

    async def run() -> int:
        db = Database(_settings().effective_database_url)
        try:
            return (await refresh(db, full=not args.changed)).partners
        finally:
            await db.close()

    began = time.perf_counter()
    partners = asyncio.run(run())
    print(f"program insight: {partners} partners summarised in {time.perf_counter() - began:.1f} s")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from hub.digest_delivery import digest_pass
    from hub.resources import Hub
    from hub.services.digest import render
    from hub.services.digest.compose import week_of
    from hub.services.digest.send import digests_for

    async def run() -> int:
        hub = Hub.from_settings(_settings())
        now = datetime.now(UTC)
        try:
            if args.preview:
                week, _ = week_of(now, hub.settings.digest_weekday, hub.settings.digest_hour)
                digests = await digests_for(hub.db, week, now, [args.preview], record=False)
                if not digests:
                    print(f"hub: {args.preview} is no channel manager getting the digest",
                          file=sys.stderr)  # fmt: skip
                    return 1
                message = render.email(
                    digests[0], base_url=hub.settings.base_url, sender=hub.settings.smtp_from
                )
                print(message.as_string())
                return 0
            report = await digest_pass(hub, now, only=tuple(args.to or ()))
        finally:
            await hub.close()
        if report is None:
            print("hub: no SMTP server configured (HUB_SMTP_HOST); try --preview", file=sys.stderr)
            return 2
        print(
            f"weekly digest {report.week}: {report.sent} sent, {report.already} already sent,"
            f" {report.failed} failed (retried on the next pass)"
        )
        return 1 if report.failed else 0

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="Partner Hub")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the hub with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=cmd_serve)

    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        run=cmd_migrate
    )
    commands.add_parser("seed-demo", help="add the demo orgs and users").set_defaults(
        run=cmd_seed_demo
    )

    demo = commands.add_parser("demo", help="migrate, seed and serve the demo")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument(
        "--allow-remote", action="store_true", help="serve the demo on a non-loopback address"
    )
    demo.set_defaults(run=cmd_demo)

    commands.add_parser("worker", help="run background jobs from Redis (arq)").set_defaults(
        run=cmd_worker
    )
    commands.add_parser(
        "sync", help="pull backend activity into the activity log now"
    ).set_defaults(run=cmd_sync)
    recompute = commands.add_parser(
        "program-recompute",
        help="recompute program insight's summaries for every partner (after new weights)",
    )
    recompute.add_argument(
        "--changed", action="store_true", help="only what changed since the last run"
    )
    recompute.set_defaults(run=cmd_program_recompute)
    digest = commands.add_parser(
        "digest",
        help="send this week's digest to the channel managers now (each once per week)",
    )
    digest.add_argument(
        "--preview", metavar="EMAIL", help="print one manager's digest; send nothing"
    )
    digest.add_argument("--to", action="append", metavar="EMAIL", help="only to this manager")
    digest.set_defaults(run=cmd_digest)
    idp_cli.register(commands)
    keys_cli.register(commands)
    sandbox = commands.add_parser(
        "sandbox", help="run one backend sandbox standalone (for benchmarks and trying adapters)"
    )
    sandbox.add_argument("name", help="salesforce, moodle, lrs, incentives or mautic")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, required=True)
    sandbox.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    sandbox.add_argument("--error-rate", type=float, default=0.0, help="share of 503s, 0..1")
    sandbox.set_defaults(run=cmd_sandbox)
    commands.add_parser("check", help="check the configuration and dependencies").set_defaults(
        run=cmd_check
    )
    return parser


def cmd_sandbox(args: argparse.Namespace) -> int:
    # The sandboxes are demo code: loaded only when asked for, never on a production path.
    from hub.connectors.sandboxes.cli import run_sandbox

    return run_sandbox(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except (SettingsError, ConnectorsError) as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
