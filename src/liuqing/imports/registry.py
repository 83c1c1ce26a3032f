"""The ledger kinds the import engine knows, each declared by the module that owns the rows.

A kind says what it can take (`fields`, with labels and required flags, and `options` such as
the coordinate system), which access policy decides who may import it (`policy_kind`, action
change), and how to write a batch (`writer()` returns a `BatchWriter`). The engine does the
rest: reading, column mapping, batching, counting, the error report, the run record.

A module registers its kind at import time (from its AppConfig.ready)::

    imports.registry.register(IncidentLedger())
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from liuqing.core.models import Member, Unit

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
REJECTED = "rejected"


@dataclass(frozen=True)
class FieldSpec:
    """One target field of a ledger kind."""

    name: str
    label: Any
    required: bool = False
    help: Any = ""


@dataclass(frozen=True)
class OptionSpec:
    """One option of an import (the same for every row): free text or one of `choices`."""

    name: str
    label: Any
    choices: Sequence[tuple[str, Any]] = ()
    default: str = ""
    required: bool = False
    help: Any = ""


@dataclass(frozen=True)
class RowError:
    """Why one row (or one of its fields) was refused. `field` is the target field, "" for
    the row as a whole; the engine turns it into the source column for the report."""

    row: int
    field: str
    value: str
    reason: str


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Per row number: (status, id of the stored row or None). The JSON API reports these.
    statuses: dict[int, tuple[str, int | None]] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return len({e.row for e in self.errors})


@dataclass
class Batch:
    """One batch of rows held by column, as the engine reads them: `numbers` (the rows'
    numbers as a spreadsheet shows them) and, for each mapped field, every row's text
    (stripped; "" for an empty cell), in the same order. A million-row file then costs a
    few lists per batch instead of a dictionary per row, and a writer can check and convert
    a whole column at once."""

    numbers: list[int]
    columns: dict[str, list[str]]

    def __len__(self) -> int:
        return len(self.numbers)

    def rows(self) -> list[tuple[int, dict[str, str]]]:
        """The batch as (row number, {field name: text}) pairs."""
        names = list(self.columns)
        return [
            (number, dict(zip(names, values, strict=True)))
            for number, *values in zip(self.numbers, *self.columns.values(), strict=True)
        ]

    @classmethod
    def from_rows(cls, rows: list[tuple[int, dict[str, str]]]) -> Batch:
        """A batch of (row number, {field name: text}) pairs; a field missing from a row is
        empty there."""
        names: dict[str, None] = {}
        for _number, raw in rows:
            names.update(dict.fromkeys(raw))
        return cls(
            numbers=[number for number, _raw in rows],
            columns={name: [raw.get(name, "") for _n, raw in rows] for name in names},
        )


class BatchWriter(ABC):
    """Validates and writes one batch of rows inside the engine's transaction.

    `rows` are (row number, {field name: raw text}) with only mapped fields present. A writer
    must be idempotent: writing the same rows again changes nothing and reports them
    unchanged (the engine commits batch by batch and relies on it after an interruption)."""

    @abstractmethod
    def write(self, rows: list[tuple[int, dict[str, str]]]) -> BatchResult:
        """Validate and store `rows`; report each row's outcome."""

    def write_batch(self, batch: Batch) -> BatchResult:
        """Validate and store a batch held by column (what the engine calls). By default row
        by row through `write`; a writer that works on whole columns overrides it."""
        return self.write(batch.rows())

    # A writer whose `prepare` does real work without touching the database sets this: the
    # engine may then run `prepare` in a second process, ahead of `store` (imports.services).
    pipelined = False

    def prepare(self, batch: Batch) -> Any:
        """The part of writing a batch that needs no database (reading, checking, converting
        values); its result must pickle. By default nothing: the batch itself."""
        return batch

    def store(self, prepared: Any) -> BatchResult:
        """Write what `prepare` returned, in the engine's transaction."""
        return self.write_batch(prepared)


class LedgerKind(ABC):
    """A kind of ledger the engine can import (subclassed by the module owning the rows)."""

    key: str = ""
    label: Any = ""
    policy_kind: str = ""
    fields: Sequence[FieldSpec] = ()
    options: Sequence[OptionSpec] = ()

    def clean_options(self, options: dict[str, str]) -> dict[str, str]:
        """The options with defaults filled in; ValidationError naming a bad one."""
        return dict(options)

    @abstractmethod
    def writer(
        self, *, actor: Member, unit: Unit, options: dict[str, str], run_id: int | None = None
    ) -> BatchWriter:
        """A writer for rows going into `unit`'s jurisdiction (`run_id`: the import run)."""

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


KINDS: dict[str, LedgerKind] = {}


def register(kind: LedgerKind) -> LedgerKind:
    KINDS[kind.key] = kind
    return kind


def get(key: str) -> LedgerKind | None:
    return KINDS.get(key)
