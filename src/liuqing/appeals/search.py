"""Full-text search of appeals for the staff list: Chinese by character bigrams, on an index.

Each appeal has one `AppealSearch` row whose `text` is its search document: the case number,
title, description and public summary, redacted (`core.redact`: phone, identity-card and bank
numbers masked; the resident's name masked wherever it appears, so the encrypted name is never
in the index in plain text), then cut into tokens: a run of Chinese characters becomes its
overlapping character pairs (路灯坏了 → 路灯 灯坏 坏了), any other word (Latin, digits, Uyghur or
Kazakh) is one lower-case token. The row is rewritten whenever one of those fields, or the
resident's name, is saved (signals, see `connect`).

The index is the database's own: on SQLite an FTS5 table (`appeals_search_fts`, external
content kept in step with `appeals_appealsearch` by triggers), on PostgreSQL a GIN index over
`to_tsvector('simple', text)`; both are made by migration 0003 for their database only.

A query is split into terms at spaces, a "quoted phrase" being one term. Every term must match
(AND); a term matches when its tokens appear consecutively (a phrase query), so 路灯维修 finds
exactly the documents containing that string, as the former substring search did, but through
the index; a term ending in a word that is not Chinese (digits, Latin, Uyghur) takes that word
as a prefix, so part of a case number is enough. A term of a single Chinese character has no
pair to look up: the selector matches it by substring within the other conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from liuqing.core.redact import redact

__all__ = ["document", "match_sql", "query_terms", "single_characters", "tokens"]

_WORD = re.compile(r"\w+")
# CJK unified ideographs (and extension A), compatibility ideographs.
_CJK = re.compile("([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")
FTS_TABLE = "appeals_search_fts"
SEARCH_TABLE = "appeals_appealsearch"


def tokens(text: str) -> list[str]:
    """The search tokens of `text`, in order (see the module's description)."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        for k, part in enumerate(_CJK.split(word)):
            if not part:
                continue
            if k % 2 == 0:  # not Chinese
                out.append(part.replace("_", ""))
            elif len(part) == 1:
                out.append(part)
            else:
                out.extend(part[i : i + 2] for i in range(len(part) - 1))
    return [t for t in out if t]


def document(
    number: str, title: str, description: str, public_summary: str, names: Iterable[str] = ()
) -> str:
    """The search document of one appeal: its tokens, space-separated."""
    names = tuple(n for n in names if n)
    parts = [redact(part, names=names) for part in (title, description, public_summary)]
    text = "\n".join([number, *parts])
    return " ".join(tokens(text))


def query_terms(query: str) -> list[list[str]]:
    """The terms of a staff query, each as its tokens; quoted text is one term."""
    terms: list[list[str]] = []
    for phrase, bare in re.findall(r'"([^"]*)"|(\S+)', query.replace("“", '"').replace("”", '"')):
        found = tokens(phrase or bare)
        if found:
            terms.append(found)
    return terms


def single_characters(terms: list[list[str]]) -> list[str]:
    """Terms of one Chinese character (no pair to look up)."""
    return [t[0] for t in terms if len(t) == 1 and len(t[0]) == 1 and _CJK.fullmatch(t[0])]


def _prefix(term: list[str]) -> bool:
    """A term whose last token is a word (digits, Latin, Uyghur), not Chinese characters,
    matches that word as a prefix: 2026-0001 finds SQ-2026-000123."""
    return not _CJK.search(term[-1])


def match_sql(vendor: str, terms: list[list[str]]) -> tuple[str, list[str]] | None:
    """SQL selecting the ids of matching cases, with its parameters, or None when this
    database has no text index (the caller falls back to substring matching). Tokens are
    `\\w` characters only, so quoting them cannot break out of the query syntax."""
    singles = set(single_characters(terms))
    indexed = [t for t in terms if not (len(t) == 1 and t[0] in singles)]
    if not indexed:
        return None
    if vendor == "sqlite":
        expression = " AND ".join(
            '"' + " ".join(term) + '"' + ("*" if _prefix(term) else "") for term in indexed
        )
        # Fixed table names; the match expression is a bound parameter.
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
        return sql, [expression]
    if vendor == "postgresql":
        expression = " & ".join(
            "("
            + " <-> ".join(f"'{token}'" for token in term)
            + (":*" if _prefix(term) else "")
            + ")"
            for term in indexed
        )
        # The expression must be the index's own: to_tsvector('simple', text).
        sql = (
            f"SELECT case_id FROM {SEARCH_TABLE} "  # noqa: S608
            "WHERE to_tsvector('simple', text) @@ to_tsquery('simple', %s)"
        )
        return sql, [expression]
    return None
