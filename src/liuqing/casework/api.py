"""The case API: /api/v1/cases (lists, one case with its timeline, every action) and
/api/v1/queue (my work, supervision).

Each operation parses its input (casework/schemas.py), calls one selector or service, and
returns a schema; the case pages call the very same selectors and services. A case in the
path outside the caller's jurisdiction is a 404; a case, member or unit named in a body that
the caller cannot see is a 422 on that field. Lists are paginated (`?limit=&offset=`) and
cost the same number of queries at any page size.
"""

from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.pagination import paginate

from liuqing.casework import queue_hooks, selectors, services
from liuqing.casework.downloads import attachment_response
from liuqing.casework.models import Case
from liuqing.casework.schemas import (
    ActionIn,
    AssignIn,
    CaseDetailOut,
    CaseListQuery,
    CaseOut,
    ContactIn,
    DecisionIn,
    EntryOut,
    ExceptionOut,
    ExtensionIn,
    FollowUpIn,
    FollowUpOut,
    LinkIn,
    MergeIn,
    MyWorkOut,
    NoteIn,
    TransferIn,
)
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.api import Pagination, api_actor, unit_in_scope
from liuqing.core.models import Member

router = Router(tags=["cases"])
queue_router = Router(tags=["cases"])

NO_CASE = _("There is no such case in your jurisdiction.")


def _case_ref(actor: Member, pk: int, field: str) -> Case:
    try:
        return selectors.access_case(actor, pk)
    except (NotFound, AccessDenied):
        raise ValidationError({field: NO_CASE}) from None


def _detail(actor: Member, case: Case) -> dict[str, Any]:
    data = CaseOut.from_orm(case).dict()
    data.update(
        description=case.description,
        public_code=case.public_code,
        public_summary=case.public_summary,
        public_result=case.public_result,
        timeline=[EntryOut.from_orm(e).dict() for e in selectors.timeline(case)],
        exceptions=[ExceptionOut.from_orm(x).dict() for x in case.exceptions.order_by("pk")],
        followups=[FollowUpOut.from_orm(f).dict() for f in case.followups.order_by("pk")],
    )
    return data


def _reload(actor: Member, case: Case) -> dict[str, Any]:
    return _detail(actor, selectors.access_case(actor, case.pk))


# --- Cases -----------------------------------------------------------------------------------


@router.get("", response=list[CaseOut], operation_id="list_cases", summary="Cases")
@paginate(Pagination)
def list_cases(request: HttpRequest, filters: Query[CaseListQuery]) -> QuerySet[Case]:
    """Cases of your jurisdiction, newest first."""
    actor = api_actor(request)
    unit = unit_in_scope(actor, filters.unit)
    return selectors.cases_visible_to(
        actor,
        kind=filters.kind,
        status=filters.status,
        warning=filters.warning,
        owner=actor if filters.owner == "me" else None,
        unit=unit,
        q=filters.q,
    )


@router.get("/{pk}", response=CaseDetailOut, operation_id="get_case", summary="One case")
def get_case(request: HttpRequest, pk: int) -> dict[str, Any]:
    """The case with its clocks, timeline, exceptions and follow-ups."""
    actor = api_actor(request)
    return _detail(actor, selectors.access_case(actor, pk))


@router.post(
    "/{pk}/actions", response=CaseDetailOut, operation_id="act_on_case", summary="Change status"
)
def act_on_case(request: HttpRequest, pk: int, payload: ActionIn) -> dict[str, Any]:
    """One workflow transition ("accept", "start", "wait", "resume", "resolve", "verify",
    "reject", "reopen", "return", "park", "unpark", "withdraw"); 422 when not allowed."""
    actor = api_actor(request)
    case = selectors.access_case(actor, pk, for_write=True)
    services.act_on_case(
        actor=actor, case=case, action=payload.action, note=payload.note, public=payload.public
    )
    return _reload(actor, case)


@router.post("/{pk}/assign", response=CaseDetailOut, operation_id="assign_case", summary="Assign")
def assign_case(request: HttpRequest, pk: int, payload: AssignIn) -> dict[str, Any]:
    actor = api_actor(request)
    case = selectors.access_case(actor, pk, for_write=True, supervision=True)
    owner = selectors.eligible_owners(case).filter(pk=payload.owner).first()
    if owner is None:
        raise ValidationError(
            {"owner": _("Choose an active handler of this case's unit or a unit below it.")}
        )
    services.assign_case(actor=actor, case=case, owner=owner, note=payload.note)
    return _reload(actor, case)


@router.post(
    "/{pk}/notes", response={201: EntryOut}, operation_id="add_case_note", summary="Add a note"
)
def add_case_note(request: HttpRequest, pk: int, payload: NoteIn) -> Any:
    actor = api_actor(request)
    case = selectors.access_case(actor, pk, for_write=True)
    return services.add_note(actor=actor, case=case, text=payload.text, public=payload.public)


@router.post(
    "/{pk}/contacts",
    response={201: EntryOut},
    operation_id="record_case_contact",
    summary="Record contact with the resident",
)
def record_case_contact(request: HttpRequest, pk: int, payload: ContactIn) -> Any:
    actor = api_actor(request)
    case = selectors.access_case(actor, pk, for_write=True)
    return services.record_contact(
        actor=actor, case=case, text=payload.text, method=payload.method, public=payload.public
    )


@router.post(
    "/{pk}/attachments",
    response={201: EntryOut},
    operation_id="attach_case_file",
    summary="Attach a photo or PDF",
)
def attach_case_file(
    request: HttpRequest,
    pk: int,
    file: File[UploadedFile],
    note: Form[str] = "",
    public: Form[bool] = False,
) -> Any:
    """multipart/form-data: `file` (a JPEG, PNG or WebP photo or a PDF of at most 10 MB,
    typed by its content, not its name), an optional `note` and `public`. The file is
    served only as a download (`attachment_url` of the entry)."""
    actor = api_actor(request)
    case = selectors.access_case(actor, pk, for_write=True)
    return services.attach_file(actor=actor, case=case, upload=file, note=note, public=public)


@router.get(
    "/attachments/{pk}",
    response={200: None},
    operation_id="download_case_attachment",
    summary="Download an attachment",
)
def download_case_attachment(request: HttpRequest, pk: int) -> Any:
    """The file of the timeline entry `pk`, as a download (audited)."""
    actor = api_actor(request)
    return attachment_response(actor, selectors.access_attachment(actor, pk))


@router.post(
    "/{pk}/extensions",
    response={201: ExceptionOut},
    operation_id="request_case_extension",
    summary="Ask for an extension",
)
def request_case_extension(request: HttpRequest, pk: int, payload: ExtensionIn) -> Any:
    actor = api_actor(request)
    case = selectors.access_case(actor, pk, for_write=True)
    return services.request_extension(
        actor=actor, case=case, days=payload.days, reason=payload.reason
    )


@router.post(
    "/extensions/{pk}/decision",
    response=ExceptionOut,
    operation_id="decide_case_extension",
    summary="Approve or refuse an extension",
)
def decide_case_extension(request: HttpRequest, pk: int, payload: DecisionIn) -> Any:
    actor = api_actor(request)
    exception = selectors.access_extension(actor, pk, for_write=True)
    return services.decide_extension(
        actor=actor, exception=exception, approve=payload.approve, note=payload.note
    )


@router.post(
    "/{pk}/followups/{followup_id}",
    response=CaseDetailOut,
    operation_id="record_case_followup",
    summary="Record a follow-up",
)
def record_case_followup(
    request: HttpRequest, pk: int, followup_id: int, payload: FollowUpIn
) -> dict[str, Any]:
    actor = api_actor(request)
    followup = selectors.access_followup(actor, followup_id, for_write=True)
    if followup.case_id != pk:
        raise NotFound
    services.record_followup(
        actor=actor,
        followup=followup,
        satisfaction=payload.satisfaction,
        resolved=payload.resolved,
        note=payload.note,
        method=payload.method,
        reopen=payload.reopen,
        reopen_reason=payload.reopen_reason,
    )
    return _reload(actor, followup.case)


@router.post("/{pk}/links", response={201: CaseOut}, operation_id="link_cases", summary="Link")
def link_cases(request: HttpRequest, pk: int, payload: LinkIn) -> Any:
    actor = api_actor(request)
    case = selectors.access_case(actor, pk, for_write=True)
    other = _case_ref(actor, payload.other, "other")
    services.link_cases(actor=actor, case=case, other=other, note=payload.note)
    return other


@router.post("/{pk}/merge", response=CaseDetailOut, operation_id="merge_case", summary="Merge")
def merge_case(request: HttpRequest, pk: int, payload: MergeIn) -> dict[str, Any]:
    """Merge this case, a duplicate, into `into`; it leaves the figures."""
    actor = api_actor(request)
    case = selectors.access_case(actor, pk, for_write=True, supervision=True)
    into = _case_ref(actor, payload.into, "into")
    services.merge_case(actor=actor, duplicate=case, into=into, note=payload.note)
    return _reload(actor, case)


@router.post("/{pk}/transfer", response=CaseOut, operation_id="transfer_case", summary="Transfer")
def transfer_case(request: HttpRequest, pk: int, payload: TransferIn) -> Case:
    """Send the case to another unit; its clocks keep running from receipt."""
    actor = api_actor(request)
    case = selectors.access_case(actor, pk, for_write=True, supervision=True)
    unit = selectors.transfer_targets(actor, case).filter(pk=payload.to_unit).first()
    if unit is None:
        raise ValidationError({"to_unit": _("You cannot transfer cases to that unit.")})
    return services.transfer_case(actor=actor, case=case, to_unit=unit, reason=payload.reason)


# --- Queues ----------------------------------------------------------------------------------


class QueueQuery(Schema):
    limit: int = Field(50, ge=1, le=200, description="Items per section")


@queue_router.get("/my-work", response=MyWorkOut, operation_id="my_work_queue", summary="My work")
def my_work_queue(request: HttpRequest, params: Query[QueueQuery]) -> dict[str, Any]:
    """Everything you owe across every kind of case, each section most urgent first."""
    actor = api_actor(request)
    queue = selectors.my_queue(actor)
    size = params.limit
    sections = {
        "owned": queue.owned,
        "to_dispatch": queue.to_dispatch,
        "to_verify": queue.to_verify,
        "followups": queue.followups,
        "extensions": queue.extensions,
    }
    result: dict[str, Any] = {name: list(qs[:size]) for name, qs in sections.items()}
    result["counts"] = {name: qs.count() for name, qs in sections.items()}
    result["more"] = [
        {
            "key": section.key,
            "title": str(section.title),
            "count": total,
            "items": [asdict(item) for item in items],
        }
        for section, items, total in queue_hooks.sections_for(actor, size)
    ]
    return result


@queue_router.get(
    "/supervision",
    response=list[CaseOut],
    operation_id="supervision_queue",
    summary="Supervision queue",
)
@paginate(Pagination)
def supervision_queue(request: HttpRequest) -> QuerySet[Case]:
    """Overdue cases that climbed to you (sergeants: level 1 and above; station chiefs:
    level 2, and every red case)."""
    return selectors.supervision_queue(api_actor(request))
