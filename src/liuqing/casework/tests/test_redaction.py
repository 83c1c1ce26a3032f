"""Redaction of a case's texts for the retention rules (services.redact_case_texts): every
free text of the case and of what hangs off it (its notifications too) passes through
`core.redact` with that case's names; the matter itself, the files and the other cases stay
as they were."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from liuqing.casework import services
from liuqing.casework.models import Case, CaseException, Entry, FollowUp
from liuqing.casework.testing import case_in_progress, close_and_follow_up, png_upload
from liuqing.casework.tests.conftest import Cast
from liuqing.notify.models import Delivery

NAME = "司马雀鸣"
PHONE = "13911112468"
ID_NUMBER = "650102198503171238"
SECRETS = (NAME, "雀鸣", PHONE, ID_NUMBER)


def case_full_of_personal_data(cast: Cast) -> Case:
    """A closed and followed-up case with the resident's name and numbers in every text."""
    case = case_in_progress(cast.unit, title=f"{NAME}的羊圈", owner=cast.alice)
    services.add_note(actor=cast.alice, case=case, text=f"内部：{NAME}的身份证{ID_NUMBER}")
    services.record_contact(actor=cast.alice, case=case, text=f"已致电{NAME} {PHONE}")
    services.attach_file(
        actor=cast.alice, case=case, upload=png_upload(f"{NAME}.png"), note=f"{NAME}家羊圈"
    )
    exception = services.request_extension(
        actor=cast.alice, case=case, days=3, reason=f"{NAME}外出，电话{PHONE}"
    )
    services.decide_extension(
        actor=cast.sam, exception=exception, approve=False, note=f"请先联系{NAME}"
    )
    close_and_follow_up(
        case,
        handler=cast.alice,
        supervisor=cast.sam,
        resolution=f"已为{NAME}修好羊圈",
        followup_note=f"{NAME}很满意，{PHONE}",
    )
    # The public summary is a module's to write (appeals.set_public_notice); set it as one.
    Case.objects.filter(pk=case.pk).update(
        description=f"{NAME}反映羊圈倒了，电话{PHONE}。", public_summary=f"{NAME}反映羊圈倒塌"
    )
    case.refresh_from_db()
    return case


def texts_of(case: Case) -> list[str]:
    case.refresh_from_db()
    texts = [case.title, case.description, case.public_summary, case.public_result]
    for text, name in Entry.objects.filter(case=case).values_list("text", "attachment_name"):
        texts += [text, name]
    texts += FollowUp.objects.filter(case=case).values_list("note", flat=True)
    for reason, decision in CaseException.objects.filter(case=case).values_list(
        "reason", "decision_note"
    ):
        texts += [reason, decision]
    for subject, body in Delivery.objects.filter(link=services.case_link(case)).values_list(
        "subject", "body"
    ):
        texts += [subject, body]
    return texts


def test_every_text_of_the_case_is_redacted_with_its_names(cast: Cast) -> None:
    case = case_full_of_personal_data(cast)
    before = "\n".join(texts_of(case))
    for secret in SECRETS:
        assert secret in before, secret

    services.redact_case_texts(names={case.pk: [NAME]})

    after = texts_of(case)
    joined = "\n".join(after)
    for secret in SECRETS:
        assert secret not in joined, secret
    # The matter itself stays, and so does the file (only its name is masked).
    assert "羊圈" in case.title
    assert "羊圈" in case.public_result
    attachment = Entry.objects.get(case=case, type="attachment")
    assert attachment.attachment.name
    assert attachment.attachment_name.endswith(".png")
    assert "外出" in CaseException.objects.get(case=case).reason
    # The extension's request and refusal went to the supervisors and the handler.
    notified = Delivery.objects.filter(link=services.case_link(case))
    assert notified.filter(kind="case.extension", body__contains="外出").exists()
    assert notified.filter(kind="case.extension_decided").exists()


def test_other_cases_stay_and_a_case_without_names_still_loses_its_numbers(cast: Cast) -> None:
    case = case_full_of_personal_data(cast)
    other = case_in_progress(cast.unit, title=f"{NAME}的另一件事", owner=cast.alice)
    services.add_note(actor=cast.alice, case=other, text=f"{NAME} {PHONE}")
    services.request_extension(actor=cast.alice, case=other, days=2, reason=f"{NAME} {PHONE}")
    other_before = texts_of(other)

    services.redact_case_texts(names={case.pk: ()})

    joined = "\n".join(texts_of(case))
    assert PHONE not in joined
    assert ID_NUMBER not in joined
    assert NAME in joined, "no name given: the name is not known to be one"
    assert texts_of(other) == other_before


def test_a_second_pass_writes_nothing(cast: Cast) -> None:
    case = case_full_of_personal_data(cast)
    services.redact_case_texts(names={case.pk: [NAME]})
    redacted = texts_of(case)
    with CaptureQueriesContext(connection) as queries:
        services.redact_case_texts(names={case.pk: [NAME]})
    assert not [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")
    ]
    assert texts_of(case) == redacted
