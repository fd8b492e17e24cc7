"""Saved homepage layouts and administrators' segment overrides, in the hub's database."""

from __future__ import annotations

from sqlalchemy import Integer, String, cast, delete, literal, null, select, union_all
from sqlalchemy.exc import IntegrityError

from hub.db import Database
from hub.db.models import LayoutOverride, UserLayout
from hub.db.types import utcnow
from hub.personas.layouts import LAYOUT_VERSION, Override, SavedLayout


async def layout_records(
    db: Database, user_id: int, persona: str
) -> tuple[list[Override], SavedLayout | None]:
    """The overrides for ``persona`` and the user's saved layout for it (read on every page).

    One statement: the overrides' rows and, marked by ``saved``, the user's own row.
    """
    override = LayoutOverride
    overrides = select(
        literal(False).label("saved"),
        override.id,
        override.partner_type,
        override.tier,
        override.region,
        override.version,
        override.widgets,
    ).where(override.persona == persona)
    saved = select(
        literal(True),
        cast(null(), Integer),
        cast(null(), String),
        cast(null(), String),
        cast(null(), String),
        UserLayout.version,
        UserLayout.widgets,
    ).where(UserLayout.user_id == user_id, UserLayout.persona == persona)
    async with db.reading() as conn:
        rows = (await conn.execute(union_all(overrides, saved))).all()
    own = next((row for row in rows if row.saved), None)
    return (
        [
            Override(
                row.id, persona, row.partner_type, row.tier, row.region, row.version, row.widgets
            )
            for row in rows
            if not row.saved
        ],
        SavedLayout(own.version, own.widgets) if own else None,
    )


async def save_layout(db: Database, user_id: int, persona: str, widgets: tuple[str, ...]) -> int:
    """Store the user's layout for ``persona``; the new revision number."""
    try:
        return await _save_layout(db, user_id, persona, widgets)
    except IntegrityError:
        # Two first saves raced (two tabs); the row exists now, so this one updates it.
        return await _save_layout(db, user_id, persona, widgets)


async def _save_layout(db: Database, user_id: int, persona: str, widgets: tuple[str, ...]) -> int:
    async with db.transaction() as session:
        saved = await session.scalar(
            select(UserLayout)
            .where(UserLayout.user_id == user_id, UserLayout.persona == persona)
            .with_for_update()
        )
        if saved is None:
            saved = UserLayout(user_id=user_id, persona=persona, revision=0)
            session.add(saved)
        saved.version = LAYOUT_VERSION
        saved.widgets = list(widgets)
        saved.revision = (saved.revision or 0) + 1
        saved.updated_at = utcnow()
        await session.flush()
        return saved.revision


async def reset_layout(db: Database, user_id: int, persona: str) -> None:
    """Forget the user's own layout for ``persona``: back to the default."""
    async with db.transaction() as session:
        await session.execute(
            delete(UserLayout).where(UserLayout.user_id == user_id, UserLayout.persona == persona)
        )


async def all_overrides(db: Database) -> list[Override]:
    """Every override, for the administrators' page."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(LayoutOverride).order_by(
                    LayoutOverride.persona,
                    LayoutOverride.partner_type,
                    LayoutOverride.tier,
                    LayoutOverride.region,
                )
            )
        ).all()
    return [
        Override(o.id, o.persona, o.partner_type, o.tier, o.region, o.version, o.widgets)
        for o in rows
    ]


async def put_override(db: Database, override: Override, *, updated_by: str) -> None:
    """Create or replace the override for ``override``'s persona and segment."""
    async with db.transaction() as session:
        row = await session.scalar(
            select(LayoutOverride).where(
                LayoutOverride.persona == override.persona,
                LayoutOverride.partner_type == override.partner_type,
                LayoutOverride.tier == override.tier,
                LayoutOverride.region == override.region,
            )
        )
        if row is None:
            row = LayoutOverride(
                persona=override.persona,
                partner_type=override.partner_type,
                tier=override.tier,
                region=override.region,
            )
            session.add(row)
        row.version = LAYOUT_VERSION
        row.widgets = list(override.widgets)
        row.updated_by = updated_by
        row.updated_at = utcnow()


async def delete_override(db: Database, override_id: int) -> bool:
    """Remove one override; ``False`` when there was none with that id."""
    async with db.transaction() as session:
        row = await session.get(LayoutOverride, override_id)
        if row is None:
            return False
        await session.delete(row)
        return True
