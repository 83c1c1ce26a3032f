"""The incident pages and the import flow in the browser's shape: upload, mapping with a
preview, result, error report; the ledger, one incident, the category mapping."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from liuqing.core.models import AuditEvent, Role
from liuqing.core.testing import World, login_verified
from liuqing.imports.models import ColumnMapping, ImportRun, RunStatus
from liuqing.incidents.models import CategoryMapping, Incident, IncidentCategory
from liuqing.incidents.testing import LAT, LNG, ledger_csv, record_incident

pytestmark = pytest.mark.django_db


def test_the_import_flow_from_upload_to_error_report(mapped: World) -> None:
    client = login_verified(Client(), mapped.persona(Role.STATION_CHIEF))
    content = ledger_csv(
        [
            {
                "编号": "F1",
                "时间": "2026-03-03 03:03",
                "类别": "纠纷",
                "lat": LAT,
                "lng": LNG,
                "姓名": "张三",
            },
            {
                "编号": "F2",
                "时间": "2099-03-03 03:03",
                "类别": "纠纷",
                "lat": LAT,
                "lng": LNG,
                "姓名": "李四",
            },
        ]
    )
    response = client.post(
        reverse("imports:upload"),
        {
            "kind": "incidents",
            "unit": mapped.units["S1"].pk,
            "file": SimpleUploadedFile("警情.csv", content),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    run = ImportRun.objects.get()
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "F1" in body  # the preview
    assert "张三" in body  # shown in the preview, yet no field can take it
    result = client.post(
        reverse("imports:mapping", kwargs={"pk": run.pk}),
        {
            "col_source_id": "编号",
            "col_occurred_at": "时间",
            "col_category": "类别",
            "col_latitude": "lat",
            "col_longitude": "lng",
            "opt_source_system": "jjxt",
            "opt_coordinates": "wgs84",
            "mapping_name": "接处警导出",
        },
    )
    assert result.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert (run.rows_created, run.rows_rejected) == (1, 1)
    assert ColumnMapping.objects.get().name == "接处警导出"
    summary = client.get(result["Location"]).content.decode()
    assert "The time is in the future." in summary
    download = client.get(reverse("imports:errors", kwargs={"pk": run.pk}))
    assert download["Content-Disposition"].startswith("attachment")
    assert "The time is in the future." in download.content.decode("utf-8-sig")
    # The download of the refused rows is an export: audited.
    event = AuditEvent.objects.get(action="import.error_report")
    assert (event.object_id, event.unit_path) == (str(run.pk), mapped.units["S1"].path)
    assert json.loads(event.details)["rows_rejected"] == 1
    # Once run, the mapping page leads to the result and the run cannot be repeated.
    assert client.get(reverse("imports:mapping", kwargs={"pk": run.pk})).status_code == 302
    # The saved mapping is offered for the next file.
    client.post(
        reverse("imports:upload"),
        {
            "kind": "incidents",
            "unit": mapped.units["S1"].pk,
            "file": SimpleUploadedFile("b.csv", content),
        },
    )
    second = ImportRun.objects.exclude(pk=run.pk).get()
    mapping = ColumnMapping.objects.get()
    page = client.get(reverse("imports:mapping", kwargs={"pk": second.pk}), {"mapping": mapping.pk})
    assert 'value="lat" selected' in page.content.decode()


def test_an_unreadable_upload_shows_why(mapped: World) -> None:
    client = login_verified(Client(), mapped.persona(Role.ANALYST))
    response = client.post(
        reverse("imports:upload"),
        {
            "kind": "incidents",
            "unit": mapped.units["S1"].pk,
            "file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04junk"),
        },
    )
    assert response.status_code == 200
    assert "XLSX" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_the_ledger_lists_filters_and_shows_one_incident(mapped: World) -> None:
    u = mapped.units
    # Source ids with a hyphen: a page's random CSRF token (letters and digits) can hold "V1".
    record_incident(u["S1"], source_id="LEDGER-V1", category="traffic", description="两车刮擦")
    record_incident(u["C1"], source_id="LEDGER-V2", category="fire")
    record_incident(u["S3"], source_id="LEDGER-V3")
    client = login_verified(Client(), mapped.persona(Role.OFFICER))
    body = client.get(reverse("incidents:list")).content.decode()
    assert "LEDGER-V1" in body
    assert "LEDGER-V2" in body
    assert "LEDGER-V3" not in body
    fire = IncidentCategory.objects.get(code="fire").pk
    body = client.get(reverse("incidents:list"), {"category": fire}).content.decode()
    assert "LEDGER-V2" in body
    assert "LEDGER-V1" not in body
    body = client.get(reverse("incidents:list"), {"unit": u["C1"].pk}).content.decode()
    assert "LEDGER-V2" in body
    assert "LEDGER-V1" not in body
    one = Incident.objects.get(source_id="LEDGER-V1")
    detail = client.get(reverse("incidents:detail", kwargs={"pk": one.pk})).content.decode()
    assert "两车刮擦" in detail
    other = Incident.objects.get(source_id="LEDGER-V3")
    assert client.get(reverse("incidents:detail", kwargs={"pk": other.pk})).status_code == 404
    aux = login_verified(Client(), mapped.persona(Role.AUXILIARY))
    assert aux.get(reverse("incidents:list")).status_code == 403


def test_the_category_mapping_page(mapped: World) -> None:
    client = login_verified(Client(), mapped.persona(Role.ANALYST))
    other = IncidentCategory.objects.get(code="other")
    response = client.post(
        reverse("incidents:category_mappings"),
        {"source_system": "jjxt", "source_text": "噪音扰民", "category": other.pk},
    )
    assert response.status_code == 302
    mapping = CategoryMapping.objects.get()
    assert mapping.category == other
    assert "噪音扰民" in client.get(reverse("incidents:category_mappings")).content.decode()
    client.post(reverse("incidents:category_mappings"), {"remove": mapping.pk})
    assert not CategoryMapping.objects.exists()
    auditor = login_verified(Client(), mapped.persona(Role.AUDITOR))
    assert auditor.get(reverse("incidents:category_mappings")).status_code == 200
    refused = auditor.post(
        reverse("incidents:category_mappings"),
        {"source_system": "jjxt", "source_text": "x", "category": other.pk},
    )
    assert refused.status_code == 403


def test_the_menu_shows_the_ledger_under_reduce_incidents(mapped: World) -> None:
    client = login_verified(Client(), mapped.persona(Role.ANALYST))
    body = client.get(reverse("incidents:list")).content.decode()
    assert reverse("imports:run_list") in body
    assert reverse("incidents:category_mappings") in body
