"""Words and stems for the library's search on SQLite, and highlighting of matches.

PostgreSQL stems with its own ``english`` and ``german`` dictionaries; SQLite's
FTS5 has no German stemmer, so the hub stems there itself with Snowball's
(the same algorithms PostgreSQL's dictionaries use): an item's title and summary
are kept as stems of its language, and each word searched for is looked up by
its English and its German stem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
from markupsafe import Markup, escape

STEMMERS = {"en": "english", "de": "german"}
_WORD = re.compile(r"\w+", re.UNICODE)
# websearch syntax: "a phrase", -excluded, or; anything else is a word.
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
MAX_TERMS = 12


@lru_cache(maxsize=4)
def _stemmer(language: str) -> snowballstemmer.Stemmer:
    return snowballstemmer.stemmer(STEMMERS.get(language, "english"))


def words(text: str) -> list[str]:
    """The words of ``text``, lowercased."""
    return [word.lower() for word in _WORD.findall(text)]


def stems(text: str, language: str) -> list[str]:
    """The stems of ``text``'s words in ``language``."""
    return list(_stemmer(language).stemWords(words(text)))


def search_text(title: str, summary: str, language: str) -> str:
    """What FTS5 indexes for an item: its title's stems twice (a title match ranks higher),
    then its summary's."""
    head = " ".join(stems(title, language))
    return f"{head} {head} {' '.join(stems(summary, language))}"


@dataclass(frozen=True)
class ParsedQuery:
    """A search as words to find (each a phrase of one or more words) and words to avoid."""

    wanted: tuple[tuple[str, ...], ...] = ()
    avoided: tuple[tuple[str, ...], ...] = ()
    alternatives: bool = False  # "or" between terms: any, rather than all

    @property
    def empty(self) -> bool:
        return not self.wanted


def parse(query: str) -> ParsedQuery:
    """``query`` in web-search syntax, as PostgreSQL's ``websearch_to_tsquery`` reads it."""
    wanted: list[tuple[str, ...]] = []
    avoided: list[tuple[str, ...]] = []
    alternatives = False
    for match in _TERM.finditer(query):
        negated = bool(match.group(1) or match.group(3))
        text = match.group(2) if match.group(2) is not None else match.group(4)
        if match.group(4) is not None and text.lower() == "or":
            alternatives = True
            continue
        phrase = tuple(words(text))
        if phrase:
            (avoided if negated else wanted).append(phrase)
    return ParsedQuery(tuple(wanted[:MAX_TERMS]), tuple(avoided[:MAX_TERMS]), alternatives)


def fts5_query(parsed: ParsedQuery) -> str:
    """The FTS5 MATCH expression: each phrase by its English or its German stems."""

    def phrase(words_: tuple[str, ...]) -> str:
        forms = {" ".join(_stemmer(language).stemWords(list(words_))) for language in STEMMERS}
        return "(" + " OR ".join(f'"{form}"' for form in sorted(forms)) + ")"

    joiner = " OR " if parsed.alternatives else " AND "
    expression = joiner.join(phrase(p) for p in parsed.wanted)
    for avoided in parsed.avoided:
        expression = f"({expression}) NOT {phrase(avoided)}"
    return expression


@dataclass(frozen=True)
class Highlighter:
    """Marks the words of a text whose stem is one searched for, escaping everything else."""

    parsed: ParsedQuery
    _stems: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)

    def wanted_stems(self, language: str) -> frozenset[str]:
        if language not in self._stems:
            found = {
                stem
                for phrase in self.parsed.wanted
                for lang in STEMMERS
                for stem in _stemmer(lang).stemWords(list(phrase))
            }
            self._stems[language] = frozenset(found)
        return self._stems[language]

    def mark(self, text: str, language: str) -> Markup:
        wanted = self.wanted_stems(language)
        stemmer = _stemmer(language)
        out: list[str] = []
        last = 0
        for match in _WORD.finditer(text):
            if stemmer.stemWord(match.group().lower()) in wanted:
                out.append(str(escape(text[last : match.start()])))
                out.append(f"<mark>{escape(match.group())}</mark>")
                last = match.end()
        out.append(str(escape(text[last:])))
        return Markup("".join(out))  # noqa: S704 - every piece escaped above


START, STOP = "\x02", "\x03"  # PostgreSQL's ts_headline markers, replaced after escaping


def from_headline(text: str) -> Markup:
    """ts_headline's output (marked with :data:`START`/:data:`STOP`) as escaped HTML."""
    escaped = str(escape(text))
    return Markup(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704
