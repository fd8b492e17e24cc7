"""Searching the library: one interface, PostgreSQL's full-text search or SQLite's FTS5.

:func:`search_engine` picks the engine for the database. Both take a
:class:`Search` (words in web-search syntax: ``"a phrase"``, ``-word``, ``or``;
filters) and a :class:`~hub.services.content.audience.Reader`, and answer the
items meant for that reader, best match first, with the matches marked in the
title and summary. Superseded items never show. Without words the newest items
come first, pinned ones before them.

* PostgreSQL: the generated ``search_vector`` (title weighted above summary, stemmed
  in the item's language) matched against ``websearch_to_tsquery`` in English and
  in German, ranked by ``ts_rank`` among the newest :data:`RANK_AMONG` matches,
  marked by ``ts_headline``.
* SQLite: FTS5 over the stems :mod:`hub.services.content.stemming` keeps, ranked by
  ``bm25``, marked by the same stemmer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from markupsafe import Markup, escape
from sqlalchemy import Select, column, desc, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause, Label

from hub.db.content import ContentItem
from hub.db.types import utcnow
from hub.services.content.audience import Reader, visible_to
from hub.services.content.stemming import (
    START,
    STOP,
    Highlighter,
    ParsedQuery,
    from_headline,
    fts5_query,
    parse,
)

MAX_QUERY = 200  # characters of a search that are used; the page says when it cut one
SHORT_SECONDS = 300
PAGE = 20
RANK_AMONG = 1_000  # matches ranked at most, the newest first (PostgreSQL)
FTS = table("content_fts", column("rowid"))  # SQLite's FTS5 table (migration 0010)


@dataclass(frozen=True)
class Search:
    """A reader's search: words and filters, as the page's form sends them."""

    words: str = ""
    kind: str = ""
    source: str = ""
    language: str = ""
    short: bool = False
    limit: int = PAGE

    @property
    def cleaned(self) -> str:
        """The words without control characters, cut to :data:`MAX_QUERY`."""
        kept = "".join(c for c in self.words if unicodedata.category(c)[0] != "C" or c == " ")
        return " ".join(kept.split())[:MAX_QUERY]

    @property
    def cut(self) -> bool:
        return len(" ".join(self.words.split())) > MAX_QUERY


@dataclass(frozen=True)
class Hit:
    """One item found, with its title and summary marked where they match."""

    item: ContentItem
    title: Markup
    summary: Markup
    rank: float = 0.0


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    parsed: ParsedQuery
    searched: bool  # words were given (else: newest first)


class ContentSearch(Protocol):
    """A full-text engine over the library; the same answers on either database."""

    async def search(self, session: AsyncSession, search: Search, reader: Reader) -> Results:
        """The items meant for ``reader`` that match ``search``, best first."""
        ...


def _filtered(search: Search, reader: Reader) -> Select[Any]:
    query = select(ContentItem).where(ContentItem.superseded_by_id.is_(None), visible_to(reader))
    if search.kind:
        query = query.where(ContentItem.kind == search.kind)
    if search.source:
        query = query.where(ContentItem.source == search.source)
    if search.language:
        query = query.where(ContentItem.language == search.language)
    if search.short:
        query = query.where(
            ContentItem.duration_seconds.is_not(None),
            ContentItem.duration_seconds <= SHORT_SECONDS,
        )
    return query


def _plain(item: ContentItem) -> Hit:
    return Hit(item, escape(item.title), escape(item.summary))


async def _newest(
    session: AsyncSession, search: Search, reader: Reader, now: datetime
) -> list[Hit]:
    pinned = ContentItem.pinned_until.is_not(None) & (ContentItem.pinned_until > now)
    query = _filtered(search, reader).order_by(
        desc(pinned), ContentItem.published_at.desc(), ContentItem.id.desc()
    )
    return [_plain(item) for item in await session.scalars(query.limit(search.limit))]


class PostgresSearch:
    """PostgreSQL's full-text search over the generated ``search_vector`` column."""

    def __init__(self, rank_among: int = RANK_AMONG) -> None:
        self.rank_among = rank_among

    async def search(self, session: AsyncSession, search: Search, reader: Reader) -> Results:
        words = search.cleaned
        parsed = parse(words)
        if parsed.empty:
            return Results(await _newest(session, search, reader, _now()), parsed, False)
        tsquery = func.websearch_to_tsquery(literal_column("'english'::regconfig"), words).op("||")(
            func.websearch_to_tsquery(literal_column("'german'::regconfig"), words)
        )
        vector: ColumnClause[Any] = literal_column("content_items.search_vector")
        rank = func.ts_rank(vector, tsquery).label("rank")
        # Rank the newest ``rank_among`` matches only: a word in half the library would
        # otherwise read tens of thousands of vectors to keep 20. The planner walks the
        # published_at index until it has them (common words) or takes the GIN index's
        # few matches (rare words).
        newest = (
            _filtered(search, reader)
            .with_only_columns(ContentItem.id)
            .where(vector.op("@@")(tsquery))
            .order_by(ContentItem.published_at.desc(), ContentItem.id.desc())
            .limit(self.rank_among)
            .subquery("newest")
        )
        best = (
            select(ContentItem.id, ContentItem.published_at, rank)
            .join(newest, newest.c.id == ContentItem.id)
            .order_by(desc("rank"), ContentItem.published_at.desc(), ContentItem.id.desc())
            .limit(search.limit)
            .subquery("best")
        )
        found = (
            select(ContentItem.id, ContentItem.title, ContentItem.summary, ContentItem.language,
                   best.c.rank, best.c.published_at)
            .join(best, best.c.id == ContentItem.id)
            .subquery("found")
        )  # fmt: skip
        config: ColumnClause[Any] = literal_column(
            "CASE found.language WHEN 'de' THEN 'german'::regconfig ELSE 'english'::regconfig END"
        )
        options = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
        marked = select(
            found.c.id,
            found.c.rank,
            func.ts_headline(config, found.c.title, tsquery, options),
            func.ts_headline(config, found.c.summary, tsquery, options),
        ).order_by(desc(found.c.rank), found.c.published_at.desc(), found.c.id.desc())
        rows = (await session.execute(marked)).all()
        items = await _by_id(session, [row[0] for row in rows])
        hits = [
            Hit(items[row[0]], from_headline(row[2]), from_headline(row[3]), float(row[1]))
            for row in rows
        ]
        return Results(hits, parsed, True)


class SqliteSearch:
    """SQLite's FTS5 over the stems the hub keeps in ``search_text``."""

    async def search(self, session: AsyncSession, search: Search, reader: Reader) -> Results:
        parsed = parse(search.cleaned)
        if parsed.empty:
            return Results(await _newest(session, search, reader, _now()), parsed, False)
        rank: Label[Any] = literal_column("bm25(content_fts)").label("rank")
        query = (
            _filtered(search, reader)
            .add_columns(rank)
            .join(FTS, FTS.c.rowid == ContentItem.id)
            .where(literal_column("content_fts").op("MATCH")(fts5_query(parsed)))
            .order_by(rank, ContentItem.published_at.desc(), ContentItem.id.desc())
            .limit(search.limit)
        )
        marker = Highlighter(parsed)
        hits = [
            Hit(
                item,
                marker.mark(item.title, item.language),
                marker.mark(item.summary, item.language),
                -float(score),
            )
            for item, score in (await session.execute(query)).all()
        ]
        return Results(hits, parsed, True)


async def _by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, ContentItem]:
    if not ids:
        return {}
    found = await session.scalars(select(ContentItem).where(ContentItem.id.in_(list(ids))))
    return {item.id: item for item in found}


def _now() -> datetime:
    return utcnow()


def search_engine(dialect: str) -> ContentSearch:
    """The engine for a database of ``dialect`` (``postgresql`` or ``sqlite``)."""
    return PostgresSearch() if dialect == "postgresql" else SqliteSearch()
