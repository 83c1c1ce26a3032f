"""The incident ledger through the import engine: every bad-input case of the issue, the
encodings and formats, idempotent re-import, GCJ-02, unit derivation, saved mappings and the
error report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from liuqing.analytics.cells import points_to_cells, wgs84_to_gcj02
from liuqing.core.models import AuditEvent, Member
from liuqing.core.testing import World
from liuqing.imports import services
from liuqing.imports.forms import MappingForm
from liuqing.imports.models import ImportRun, RunStatus
from liuqing.incidents import services as incident_services
from liuqing.incidents.ledger import LEDGER, _legacy_fingerprint
from liuqing.incidents.models import Incident, IncidentCategory
from liuqing.incidents.testing import LAT, LNG, ledger_csv, record_incident

pytestmark = pytest.mark.django_db

COLUMNS = {
    "警情编号": "source_id",
    "报警时间": "occurred_at",
    "警情类别": "category",
    "纬度": "latitude",
    "经度": "longitude",
    "处理结果": "outcome",
    "简要情况": "description",
}
OPTIONS = {"source_system": "jjxt", "coordinates": "wgs84"}


def row(sid: str, **over: Any) -> dict[str, Any]:
    base = {
        "警情编号": sid,
        "报警时间": "2026-03-01 10:00:00",
        "警情类别": "刑事",
        "纬度": LAT,
        "经度": LNG,
        "处理结果": "已处理",
        "简要情况": "商铺被盗",
    }
    base.update(over)
    return base


def upload(actor: Member, world: World, content: bytes, name: str = "ledger.csv") -> ImportRun:
    return services.start_import(
        actor=actor,
        kind="incidents",
        unit=world.units["S1"],
        upload=SimpleUploadedFile(name, content),
    )


def imported(
    actor: Member, world: World, content: bytes, name: str = "ledger.csv", **options: str
) -> ImportRun:
    run = upload(actor, world, content, name)
    return services.run_import(
        actor=actor, run=run, columns=COLUMNS, options={**OPTIONS, **options}
    )


def report(run: ImportRun) -> list[list[str]]:
    return list(csv.reader(io.StringIO(services.error_report(run).decode("utf-8-sig"))))


def reasons(run: ImportRun) -> dict[int, str]:
    return {int(r[0]): r[3] for r in report(run)[1:]}


# --- Bad input --------------------------------------------------------------------------------


def test_each_bad_row_is_reported_and_the_valid_rows_are_imported(
    mapped: World, analyst: Member
) -> None:
    rows = [
        row("A1"),  # row 2: good
        row("A2", 纬度=95, 经度=200),  # impossible
        row("A3", 纬度=0, 经度=0),  # null island
        row("A4", 纬度=39.9042, 经度=116.4074),  # Beijing: outside the detachment's area
        row("A5", 报警时间="2099-01-01 00:00:00"),  # future
        row("A6", 报警时间="昨天下午"),  # unreadable time
        row("A7", 警情类别="盗窃案"),  # unknown category
        row("", 警情类别="交通"),  # missing source id
        row("A9", 纬度="north"),  # not a number
        row("A10", 纬度=LAT + 0.5),  # in the area, in no boundary, far from every seat
        row("A11", 报警时间="2026/02/03 04:05"),  # good, a common non-ISO form
    ]
    run = imported(analyst, mapped, ledger_csv(rows))
    assert run.status == RunStatus.DONE
    assert (run.rows_read, run.rows_created, run.rows_rejected) == (11, 2, 9)
    assert set(Incident.objects.values_list("source_id", flat=True)) == {"A1", "A11"}
    why = reasons(run)
    assert why[3] == "Impossible coordinates."
    assert why[4] == "Impossible coordinates."
    assert why[5] == "The location is outside the detachment's area."
    assert why[6] == "The time is in the future."
    assert why[7] == "The time cannot be read."
    assert why[8].startswith("Unknown category")
    assert why[9] == "This field is required."
    assert why[10] == "Not a number."
    assert why[11] == "No unit's jurisdiction contains this location."


def test_the_error_report_names_row_column_value_and_reason(mapped: World, analyst: Member) -> None:
    run = imported(
        analyst, mapped, ledger_csv([row("B1"), row("B2", 警情类别="=cmd|' /C calc'!A0")])
    )
    lines = report(run)
    assert lines[0] == ["row", "column", "value", "reason"]
    assert lines[1][:2] == ["3", "警情类别"]
    assert lines[1][2].startswith("'=")  # a spreadsheet will not run it as a formula
    assert run.error_sample[0]["row"] == 3
    assert run.error_file  # stored, downloadable


def test_an_unreadable_file_imports_nothing_and_says_why(mapped: World, analyst: Member) -> None:
    for content, why in [
        (b"id,time\n\x00\x01\x02binary", "binary"),
        (b"id,time\n\xff\xff\xfe\n", "neither UTF-8 nor GBK"),
        (b"", "empty"),
    ]:
        with pytest.raises(ValidationError) as caught:
            upload(analyst, mapped, content or b" " * 0)
        assert why in " ".join(caught.value.message_dict["file"])
    assert not ImportRun.objects.exists()
    assert not Incident.objects.exists()


def test_a_malformed_xlsx_is_refused(mapped: World, analyst: Member) -> None:
    for content in [b"PK\x03\x04" + b"\x00garbage" * 50, _zip({"hello.txt": "not a workbook"})]:
        with pytest.raises(ValidationError) as caught:
            upload(analyst, mapped, content, "ledger.xlsx")
        assert "XLSX" in " ".join(caught.value.message_dict["file"])
    assert not ImportRun.objects.exists()


def test_a_workbook_damaged_after_upload_fails_the_run_and_imports_nothing(
    mapped: World, analyst: Member
) -> None:
    run = upload(analyst, mapped, _xlsx([row("X1")]), "ledger.xlsx")
    with default_storage.open(run.stored_file, "wb") as fh:
        fh.write(b"PK\x03\x04broken")
    run = services.run_import(actor=analyst, run=run, columns=COLUMNS, options=OPTIONS)
    assert run.status == RunStatus.FAILED
    assert "XLSX" in run.message
    assert not Incident.objects.exists()


def test_a_gbk_csv_is_read(mapped: World, analyst: Member) -> None:
    run = imported(analyst, mapped, ledger_csv([row("G1"), row("G2")], encoding="gbk"))
    assert run.encoding == "gb18030"
    assert run.rows_created == 2
    assert Incident.objects.get(source_id="G1").description == "商铺被盗"


def test_a_utf8_csv_with_bom_is_read(mapped: World, analyst: Member) -> None:
    run = imported(analyst, mapped, ledger_csv([row("U1")], encoding="utf-8-sig"))
    assert run.encoding == "utf-8-sig"
    assert run.rows_created == 1


def test_an_xlsx_workbook_is_read(mapped: World, analyst: Member) -> None:
    run = imported(
        analyst, mapped, _xlsx([row("X1"), row("X2", 警情类别="telecom_fraud")]), "l.xlsx"
    )
    assert run.rows_created == 2, run.error_sample
    assert Incident.objects.get(source_id="X2").category.code == "telecom_fraud"


# --- Idempotence ------------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(mapped: World, analyst: Member) -> None:
    content = ledger_csv([row("R1"), row("R2"), row("R3")])
    first = imported(analyst, mapped, content)
    before = list(Incident.objects.order_by("pk").values())
    second = imported(analyst, mapped, content)
    assert (first.rows_created, second.rows_created) == (3, 0)
    assert (second.rows_unchanged, second.rows_updated) == (3, 0)
    assert list(Incident.objects.order_by("pk").values()) == before

    third = imported(analyst, mapped, ledger_csv([row("R1"), row("R2", 处理结果="已调解")]))
    assert (third.rows_unchanged, third.rows_updated, third.rows_created) == (1, 1, 0)
    assert Incident.objects.get(source_id="R2").outcome == "已调解"
    assert Incident.objects.count() == 3


def test_a_row_stored_with_the_earlier_digest_counts_as_unchanged(
    mapped: World, analyst: Member
) -> None:
    """Rows imported before the column-wise digest carry the earlier one (blake2b of the
    values' repr): importing them again leaves them alone, a change still updates them."""
    content = ledger_csv([row("V1"), row("V2")])
    imported(analyst, mapped, content)
    for incident in Incident.objects.all():
        when = incident.occurred_at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        values = (
            incident.category_id,
            incident.sub_category,
            incident.latitude,
            incident.longitude,
            incident.cell_coarse,
            incident.cell_fine,
            incident.unit_id,
            incident.outcome,
            incident.description,
        )
        Incident.objects.filter(pk=incident.pk).update(
            fingerprint=_legacy_fingerprint(when, values)
        )
    before = list(Incident.objects.order_by("pk").values())
    again = imported(analyst, mapped, content)
    assert (again.rows_unchanged, again.rows_updated) == (2, 0)
    assert list(Incident.objects.order_by("pk").values()) == before
    changed = imported(analyst, mapped, ledger_csv([row("V1"), row("V2", 处理结果="已调解")]))
    assert (changed.rows_unchanged, changed.rows_updated) == (1, 1)
    assert Incident.objects.get(source_id="V2").outcome == "已调解"


def test_times_in_every_accepted_form_are_stored_in_utc(mapped: World, analyst: Member) -> None:
    """The common ISO shapes are converted a column at a time, the others row by row, in
    the same batch; all give the instant the text names (local time: Asia/Shanghai)."""
    forms = {
        "T1": ("2026-03-01 10:00:00", dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)),
        "T2": ("2026-03-01T10:00", dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)),
        "T3": ("2026-03-01T10:00:00Z", dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)),
        "T4": ("2026-03-01T10:00:00+06:00", dt.datetime(2026, 3, 1, 4, 0, tzinfo=dt.UTC)),
        "T5": ("2026-03-01 10:00:00.5", dt.datetime(2026, 3, 1, 2, 0, 0, 500000, tzinfo=dt.UTC)),
        "T6": ("2026/03/01 10:00", dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)),
        "T7": ("1988-04-17 03:30:00", dt.datetime(1988, 4, 16, 18, 30, tzinfo=dt.UTC)),  # DST
    }
    run = imported(analyst, mapped, ledger_csv([row(k, 报警时间=v[0]) for k, v in forms.items()]))
    assert run.rows_created == len(forms), run.error_sample
    stored = dict(Incident.objects.values_list("source_id", "occurred_at"))
    assert stored == {k: v[1] for k, v in forms.items()}


def test_short_and_blank_rows_keep_their_row_numbers(mapped: World, analyst: Member) -> None:
    header = ",".join(COLUMNS)
    good = f"W1,2026-03-01 10:00:00,刑事,{LAT},{LNG},已处理,商铺被盗"
    content = f"{header}\n{good}\n\n , ,\nW2,2026-03-01 10:00:00,刑事\n".encode()
    run = imported(analyst, mapped, content)
    assert (run.rows_read, run.rows_created, run.rows_rejected) == (2, 1, 1)
    assert set(reasons(run)) == {5}  # the short row (rows 3 and 4 are blank)
    assert {r[1] for r in report(run)[1:]} == {"纬度", "经度"}


def test_a_source_id_twice_in_one_file_keeps_the_later_row(mapped: World, analyst: Member) -> None:
    run = imported(analyst, mapped, ledger_csv([row("D1"), row("D1", 处理结果="第二次")]))
    assert (run.rows_created, run.rows_updated) == (1, 1)
    assert Incident.objects.get(source_id="D1").outcome == "第二次"


def test_a_row_recorded_by_another_jurisdiction_is_not_overwritten(
    mapped: World, analyst: Member
) -> None:
    record_incident(
        mapped.units["S2"],
        source_id="S2-1",
        source_system="jjxt",
        latitude=LAT,
        longitude=LNG + 0.05,
    )
    run = imported(analyst, mapped, ledger_csv([row("S2-1")]))
    assert run.rows_rejected == 1
    assert "outside the jurisdiction" in reasons(run)[2]
    assert Incident.objects.get(source_id="S2-1").unit == mapped.units["S2"]


# --- Coordinates and units --------------------------------------------------------------------


def test_gcj02_input_is_converted_to_wgs84(mapped: World, analyst: Member) -> None:
    glat, glng = wgs84_to_gcj02([LAT], [LNG])
    run = imported(
        analyst,
        mapped,
        ledger_csv([row("C1", 纬度=repr(float(glat[0])), 经度=repr(float(glng[0])))]),
        coordinates="gcj02",
    )
    assert run.rows_created == 1
    incident = Incident.objects.get(source_id="C1")
    assert abs(incident.latitude - LAT) < 1e-6
    assert abs(incident.longitude - LNG) < 1e-6
    assert incident.cell_fine == int(points_to_cells([LAT], [LNG], 9)[0])
    assert incident.cell_coarse == int(points_to_cells([LAT], [LNG], 8)[0])


def test_the_unit_is_derived_from_the_location(mapped: World, analyst: Member) -> None:
    u = mapped.units
    rows = [
        row("L1"),  # in S1's boundary
        row("L2", 纬度=LAT + 0.005, 经度=LNG + 0.005),  # in C1's, inside S1's: the deeper wins
        row("L3", 纬度=LAT + 0.1 + 0.005, 经度=LNG),  # no boundary, ~0.6 km from G1's seat
        row("L4", 经度=LNG + 0.05),  # in S2's boundary: outside this import's jurisdiction
    ]
    run = imported(analyst, mapped, ledger_csv(rows))
    units = dict(Incident.objects.values_list("source_id", "unit_id"))
    assert units == {"L1": u["S1"].pk, "L2": u["C1"].pk, "L3": u["G1"].pk}
    assert reasons(run)[5] == "No unit's jurisdiction contains this location."


def test_a_unit_code_column_is_used_when_given(mapped: World, analyst: Member) -> None:
    u = mapped.units
    content = ledger_csv(
        [
            {**row("K1"), "单位": u["G1"].code},
            {**row("K2"), "单位": u["S3"].code},  # another brigade: not in this jurisdiction
        ]
    )
    run = upload(analyst, mapped, content)
    run = services.run_import(
        actor=analyst, run=run, columns={**COLUMNS, "单位": "unit"}, options=OPTIONS
    )
    assert Incident.objects.get(source_id="K1").unit == u["G1"]
    assert "No unit with this code" in reasons(run)[3]


# --- Categories and mappings ------------------------------------------------------------------


def test_an_unknown_category_imports_once_it_is_mapped(mapped: World, analyst: Member) -> None:
    content = ledger_csv([row("M1", 警情类别="盗窃案")])
    assert imported(analyst, mapped, content).rows_rejected == 1
    incident_services.map_category(
        actor=analyst,
        source_system="jjxt",
        source_text="盗窃案",
        category=IncidentCategory.objects.get(code="criminal"),
    )
    assert imported(analyst, mapped, content).rows_created == 1


def test_the_default_categories_exist() -> None:
    # Stable codes, no stored name: each shows its built-in name in the reader's language.
    assert list(IncidentCategory.objects.values_list("code", "name")) == [
        ("criminal", ""),
        ("public_order", ""),
        ("telecom_fraud", ""),
        ("traffic", ""),
        ("dispute", ""),
        ("help_rescue", ""),
        ("fire", ""),
        ("other", ""),
    ]


def test_a_saved_mapping_is_offered_again(mapped: World, analyst: Member) -> None:
    header = ["编号", "时间", "类", "lat", "lng", "姓名", "身份证号"]
    saved = services.save_mapping(
        actor=analyst,
        kind="incidents",
        unit=mapped.units["S1"],
        name="110 接处警",
        columns={"编号": "source_id", "时间": "occurred_at", "类": "category", "lat": "latitude"},
        options={"source_system": "jjxt", "coordinates": "gcj02"},
    )
    form = MappingForm(ledger=LEDGER, header=header, saved=saved)
    assert form.fields["col_source_id"].initial == "编号"
    assert form.fields["col_latitude"].initial == "lat"
    assert form.fields["col_longitude"].initial == ""
    assert form.fields["opt_coordinates"].initial == "gcj02"
    # Only our fields are offered: nothing can take the name or identity-number columns.
    assert all(name.startswith(("col_", "opt_", "mapping_name")) for name in form.fields)
    assert "name" not in {f.name for f in LEDGER.fields}
    assert AuditEvent.objects.filter(action="import.mapping_save").exists()


def test_required_fields_must_each_have_a_column(mapped: World, analyst: Member) -> None:
    run = upload(analyst, mapped, ledger_csv([row("Q1")]))
    with pytest.raises(ValidationError) as caught:
        services.run_import(
            actor=analyst, run=run, columns={"警情编号": "source_id"}, options=OPTIONS
        )
    assert "required field" in str(caught.value)
    run.refresh_from_db()
    assert run.status == RunStatus.UPLOADED


def test_personal_columns_are_never_stored(mapped: World, analyst: Member) -> None:
    content = ledger_csv([{**row("P1"), "报警人": "金丝雀", "联系电话": "13911112468"}])
    run = imported(analyst, mapped, content)
    assert run.rows_created == 1
    stored = " ".join(str(v) for v in Incident.objects.values().get().values())
    assert "金丝雀" not in stored
    assert "13911112468" not in stored


def test_batches_commit_with_their_audit_events(
    mapped: World, analyst: Member, settings: Any
) -> None:
    settings.IMPORTS_BATCH_ROWS = 2
    run = imported(analyst, mapped, ledger_csv([row(f"N{i}") for i in range(5)]))
    assert run.rows_created == 5
    assert AuditEvent.objects.filter(action="import.batch", object_id=str(run.pk)).count() == 3
    assert AuditEvent.objects.filter(action="import.finish", object_id=str(run.pk)).exists()


# --- Helpers ----------------------------------------------------------------------------------


def _xlsx(rows: list[dict[str, Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(rows[0]))
    for r in rows:
        sheet.append(list(r.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
