"""Retention of the mediation files (SECURITY.md, Data): once a dispute is finished (closed
after performance, terminated without agreement, withdrawn or not accepted) for
`mediation.dispute` days (five years by default; LIUQING_RETENTION_DAYS), the parties'
personal data is erased and the free text of the file is redacted.

Why five years: the People's Mediation Law (Art. 27–29) has the committee keep one dossier
per case and a copy of each agreement, but names no period (../shared/reference/
mediation-casework.md). The file must outlast the general three-year limitation period of
civil claims (Civil Code Art. 188), since a party may still sue over the agreement's content
or its performance and the committee may be asked for its copy; five years covers that with
a margin, after which the file has no purpose that needs names.

Erased: each party's name, identity number, phone (and its blind index), address and agent.
Redacted with `core.redact` (the parties' names, identity numbers, phones and bank cards
masked; the rest of the text kept): every text of the case (`casework.redact_case_texts`:
title, description, public summary and result, timeline entries, follow-up notes, the
engine's exception reasons and decisions, the notifications linking to the case), the
claims, the refusal advice and risk note, the sessions' attendees and minutes, the reasons of
escalations, extensions and mediator replacements, the agreements' facts, matters,
responsibilities and content, the obligations' actions and methods, and the follow-up
visits' risks and actions; timeline attachments are deleted. Amounts, dates, levels and
outcomes stay, so every figure of past periods is unchanged. The dispute's `purged_at` marks
it done.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from liuqing.casework.models import Case
from liuqing.casework.services import delete_case_files, redact_case_texts
from liuqing.casework.workflows import CLOSED, WITHDRAWN
from liuqing.core import retention
from liuqing.core.pii import plain
from liuqing.mediation.models import (
    Agreement,
    Dispute,
    Escalation,
    Extension,
    Mediator,
    Obligation,
    Party,
    Session,
    Visit,
)
from liuqing.mediation.workflow import NOT_ACCEPTED, TERMINATED

FINISHED = (CLOSED, TERMINATED, WITHDRAWN, NOT_ACCEPTED)


def finished_at() -> Any:
    """When a finished dispute finished: the case's closing (performed or terminated), else
    the dispute's conclusion (withdrawn, not accepted)."""
    return Coalesce("case__closed_at", "concluded_at")


def erase_on(case: Case, dispute: Dispute) -> dt.datetime | None:
    """When the parties' data of a finished dispute will be erased (None: not finished, or
    already erased)."""
    if dispute.purged_at or case.status not in FINISHED:
        return None
    finished = case.closed_at or dispute.concluded_at
    return RULE.erase_after(finished) if finished else None


def expired(cutoff: dt.datetime) -> models.QuerySet[Any]:
    return (
        Dispute.objects.filter(case__status__in=FINISHED, purged_at__isnull=True)
        .annotate(finished=finished_at())
        .filter(finished__lt=cutoff)
    )


# The file's own free texts (the case's are the engine's: casework.redact_case_texts):
# model, the column naming the dispute, and the texts.
FILE_TEXTS: tuple[tuple[type[models.Model], str, tuple[str, ...]], ...] = (
    (Dispute, "pk", ("claims", "refusal_advice", "risk_note")),
    (Session, "dispute_id", ("attendees", "minutes")),
    (Escalation, "dispute_id", ("reason",)),
    (Extension, "dispute_id", ("reason",)),
    (Mediator, "dispute_id", ("end_reason",)),
    (Agreement, "dispute_id", ("facts", "matters", "responsibilities", "content")),
    (Obligation, "agreement__dispute_id", ("action", "method")),
    (Visit, "dispute_id", ("risks", "actions")),
)


def _names(parties: Iterable[Party]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for party in parties:
        names[party.dispute_id].extend(
            text for text in (plain(party.name), plain(party.agent_name)) if text
        )
    return names


def purge(batch: list[Any]) -> None:
    ids = [d.pk for d in batch]
    names = _names(Party.objects.filter(dispute_id__in=ids))
    for pk in ids:
        names.setdefault(pk, [])
    redact_case_texts(names=names)
    for model, key, fields in FILE_TEXTS:
        retention.redact_columns(model._default_manager.all(), key, fields, names)
    delete_case_files(case_ids=ids)
    Party.objects.filter(dispute_id__in=ids).update(
        name="", id_number="", phone="", phone_index="", address="", agent_name=""
    )
    Dispute.objects.filter(pk__in=ids).update(purged_at=timezone.now())


RULE = retention.register(
    retention.Rule(
        name="mediation.dispute",
        description="finished disputes (closed, terminated, withdrawn or not accepted)",
        default_days=1825,
        expired=expired,
        purge=purge,
    )
)
