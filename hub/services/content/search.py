"""Searching the library: one interface, PostgreSQL's full-text search or SQLite's FTS5.

:func:`search_engine` picks the engine for the database. Both take a
:class:`Search` (words in web-search syntax: ``"a phrase"``, ``-word``, ``or``;
filters) and a :class:`~hub.services.content.audience.Reader`, and answer the
items meant for that reader, best match first, with the matches marked in the
title and summary. Superseded items never show. Without words the newest items
come first, pinned ones before them.

* PostgreSQL: the generated ``search_vector`` (title weighted above summary, stemmed
  in the item's language) matched against ``websearch_to_tsquery`` in English and
  in German, ranked by ``ts_rank`` among the newest :data:`RANK_AMONG` matches
  (found by a walk of the date index or by the GIN index, as a sample of the newest
  items says the words are common or rare), marked by ``ts_headline``.
* SQLite: FTS5 over the stems :mod:`hub.services.content.stemming` keeps, ranked by
  ``bm25``, marked by the same stemmer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from markupsafe import Markup, escape
from sqlalchemy import Boolean, Select, column, desc, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause, ColumnElement, Label

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
SAMPLE = 500  # newest items looked at to tell common words from rare ones (PostgreSQL)
DENSE = 0.08  # share of that sample matching from which the date index is walked
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
    """PostgreSQL's full-text search over the generated ``search_vector`` column.

    The best of the newest ``rank_among`` matches are shown. How to find those is
    decided here, per search, not by the planner: asyncpg prepares each statement and
    PostgreSQL soon plans it once for any words, blind to how common they are. A look
    at the newest ``sample`` items the reader may see tells how dense the matches are:

    * dense (at least ``dense`` of the sample match): walk the ``published_at`` index
      from the newest item until ``rank_among`` matches are found, a short walk;
    * sparse: take the GIN index's matches, keep the newest ``rank_among``, rank them.

    Both give the same answers; each is its own statement, so each keeps its own plan.
    """

    def __init__(
        self, rank_among: int = RANK_AMONG, sample: int = SAMPLE, dense: float = DENSE
    ) -> None:
        self.rank_among = rank_among
        self.sample = sample
        self.dense = dense

    async def search(self, session: AsyncSession, search: Search, reader: Reader) -> Results:
        words = search.cleaned
        parsed = parse(words)
        if parsed.empty:
            return Results(await _newest(session, search, reader, _now()), parsed, False)
        # A subquery, so PostgreSQL parses the words once per statement: in the plan it
        # keeps for any words (a prepared statement's generic plan) the function call
        # would otherwise run again for every row it looks at.
        tsquery = select(
            func.websearch_to_tsquery(literal_column("'english'::regconfig"), words).op("||")(
                func.websearch_to_tsquery(literal_column("'german'::regconfig"), words)
            )
        ).scalar_subquery()
        vector: ColumnClause[Any] = literal_column("content_items.search_vector")
        candidates = _filtered(search, reader).with_only_columns(
            ContentItem.id, ContentItem.published_at
        )
        # The vector rides along from where the row was first read, for ts_rank.
        if await self._dense(session, candidates, vector, tsquery):
            # ts_match_vq is the @@ operator as a function, which no index serves: the
            # planner can only walk the date index (or read the whole table).
            newest = (
                candidates.add_columns(vector.label("vector"))
                .where(func.ts_match_vq(vector, tsquery, type_=Boolean))
                .order_by(ContentItem.published_at.desc(), ContentItem.id.desc())
                .limit(self.rank_among)
                .subquery("newest")
            )
        else:
            # MATERIALIZED keeps the planner from walking the date index for these
            # few matches (a phrase's are fewer than it guesses): GIN first, then sort.
            matches = (
                candidates.add_columns(vector.label("vector"))
                .where(vector.op("@@")(tsquery))
                .cte("matches")
                .prefix_with("MATERIALIZED")
            )
            newest = (
                select(matches)
                .order_by(matches.c.published_at.desc(), matches.c.id.desc())
                .limit(self.rank_among)
                .subquery("newest")
            )
        rank = func.ts_rank(newest.c.vector, tsquery).label("rank")
        best = (
            select(newest.c.id, newest.c.published_at, rank)
            .order_by(desc("rank"), newest.c.published_at.desc(), newest.c.id.desc())
            .limit(search.limit)
            .subquery("best")
        )
        config: ColumnClause[Any] = literal_column(
            "CASE content_items.language WHEN 'de' THEN 'german'::regconfig"
            " ELSE 'english'::regconfig END"
        )
        options = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
        marked = (
            select(
                ContentItem,
                best.c.rank,
                func.ts_headline(config, ContentItem.title, tsquery, options),
                func.ts_headline(config, ContentItem.summary, tsquery, options),
            )
            .join(best, best.c.id == ContentItem.id)
            .order_by(desc(best.c.rank), best.c.published_at.desc(), best.c.id.desc())
        )
        hits = [
            Hit(item, from_headline(title), from_headline(summary), float(score))
            for item, score, title, summary in (await session.execute(marked)).all()
        ]
        return Results(hits, parsed, True)

    async def _dense(
        self,
        session: AsyncSession,
        candidates: Select[int, datetime],
        vector: ColumnClause[Any],
        tsquery: ColumnElement[Any],
    ) -> bool:
        """Whether at least ``dense`` of the newest ``sample`` items match the words."""
        newest = (
            candidates.add_columns(func.ts_match_vq(vector, tsquery, type_=Boolean).label("hit"))
            .order_by(ContentItem.published_at.desc())
            .limit(self.sample)
            .subquery("sample")
        )
        counted = select(func.count(), func.count().filter(newest.c.hit))
        seen, matching = (await session.execute(counted.select_from(newest))).one()
        return bool(seen) and matching >= self.dense * seen


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


def _now() -> datetime:
    return utcnow()


def search_engine(dialect: str) -> ContentSearch:
    """The engine for a database of ``dialect`` (``postgresql`` or ``sqlite``)."""
    return PostgresSearch() if dialect == "postgresql" else SqliteSearch()
