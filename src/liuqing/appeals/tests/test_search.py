"""Full-text search of the staff list (appeals.search): Chinese by character pairs through the
database's text index (FTS5 on SQLite, GIN on PostgreSQL), every term required, quoted
phrases, case numbers; the resident's name never in the index."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liuqing.appeals import search, selectors, services
from liuqing.appeals.models import AppealChannel, AppealSearch
from liuqing.appeals.selectors import AppealFilters
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework.models import Case

pytestmark = pytest.mark.django_db


def record(cast: Cast, description: str, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "actor": cast.alice,
        "unit": cast.unit,
        "category": cast.category,
        "title": "",
        "description": description,
        "channel": AppealChannel.HOME_VISIT,
        "resident_name": "",
        "resident_phone": "",
        "resident_address": "",
    }
    fields.update(overrides)
    return services.submit_appeal(**fields)


def found(cast: Cast, q: str, **filters: Any) -> set[int]:
    qs = selectors.appeals_visible_to(cast.sam, AppealFilters(q=q, **filters))
    return set(qs.values_list("pk", flat=True))


def test_tokens_are_character_pairs_for_chinese_and_words_otherwise() -> None:
    assert search.tokens("村民反映路灯坏了") == [
        "村民",
        "民反",
        "反映",
        "映路",
        "路灯",
        "灯坏",
        "坏了",
    ]
    assert search.tokens("SQ-2026-000123") == ["sq", "2026", "000123"]
    assert search.tokens("Street LAMP，ئېرىق سۇ") == ["street", "lamp", "ئېرىق", "سۇ"]
    assert search.tokens("灯") == ["灯"]
    assert search.query_terms('路灯 "水渠 堵塞" 灯') == [["路灯"], ["水渠", "堵塞"], ["灯"]]


def test_several_words_must_all_match(cast: Cast) -> None:
    lamp = record(cast, "红星村三组的路灯坏了，晚上很黑。")
    channel = record(cast, "灌溉水渠堵塞，三组的地浇不上水。")
    both = record(cast, "路灯坏了，水渠也堵了。")
    assert found(cast, "路灯") == {lamp.pk, both.pk}
    assert found(cast, "路灯 水渠") == {both.pk}
    assert found(cast, "三组 水渠") == {channel.pk}
    assert found(cast, "灯坏") == {lamp.pk, both.pk}  # any two characters, mid-word too
    assert found(cast, "路灯 机场") == set()


def test_a_quoted_phrase_and_a_single_character(cast: Cast) -> None:
    words = record(cast, "邻居 噪音 扰民")
    apart = record(cast, "噪音很大，邻居不理。")
    assert found(cast, '"邻居 噪音"') == {words.pk}
    assert found(cast, "邻居 噪音") == {words.pk, apart.pk}
    assert found(cast, "扰") == {words.pk}  # one character: matched by substring


def test_the_title_summary_and_case_number_are_searched(cast: Cast) -> None:
    case = record(cast, "村民反映问题。", title="羊圈加固")
    other = record(cast, "另一件事。")
    assert found(cast, "羊圈") == {case.pk}
    assert found(cast, case.number) == {case.pk}
    assert found(cast, case.number.lower()) == {case.pk}
    assert found(cast, case.number.split("-")[-1]) == {case.pk}
    assert found(cast, case.number[:-2]) >= {case.pk}  # the start of a number is enough
    services.set_public_notice(
        actor=cast.sam, case=case, summary="已协调村委会修复围栏", result="已修复", show=True
    )
    assert found(cast, "村委会 围栏") == {case.pk}
    assert found(cast, "村委会") == {case.pk}
    assert other.pk not in found(cast, "围栏")


def test_an_edit_is_found_at_once_and_the_old_text_no_longer(cast: Cast) -> None:
    case = record(cast, "路灯坏了。", title="村民求助")
    services.update_appeal_details(actor=cast.alice, case=case, description="水渠堵了。")
    assert found(cast, "水渠") == {case.pk}
    assert found(cast, "路灯") == set()


def _document_writes(queries: Any) -> list[str]:
    """The statements of `queries` that write a search document (INSERT or UPDATE)."""
    table = search.SEARCH_TABLE
    return [
        q["sql"]
        for q in queries
        if table in q["sql"] and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]


def test_an_edit_writes_the_search_document_once_and_with_the_new_name(cast: Cast) -> None:
    case = record(cast, "王小二反映路灯坏了。", resident_name="王小二")
    with CaptureQueriesContext(connection) as queries:
        services.update_appeal_details(
            actor=cast.alice,
            case=case,
            description="李大四反映水渠堵了。",
            resident_name="李大四",
            resident_phone="13912345678",
        )
    assert len(_document_writes(queries.captured_queries)) == 1
    text = AppealSearch.objects.get(case=case).text
    assert "水渠" in text
    assert "李大" not in text, "the document masks the name saved in the same edit"
    # An edit of fields the document does not hold writes nothing to it.
    with CaptureQueriesContext(connection) as queries:
        services.update_appeal_details(
            actor=cast.alice, case=case, resident_phone="13987654321", anonymous=True
        )
        services.update_appeal_details(actor=cast.alice, case=case, channel=AppealChannel.PHONE)
    assert _document_writes(queries.captured_queries) == []
    assert AppealSearch.objects.get(case=case).text == text


def test_search_keeps_the_other_filters_and_the_jurisdiction(cast: Cast) -> None:
    mine = record(cast, "路灯坏了。")
    child = record(cast, "路灯坏了。", unit=cast.child, channel=AppealChannel.PHONE)
    sibling = record(cast, "路灯坏了。", actor=cast.olga, unit=cast.olga.unit)
    assert found(cast, "路灯") == {mine.pk, child.pk}
    assert sibling.pk not in found(cast, "路灯")
    assert found(cast, "路灯", channel="phone") == {child.pk}
    assert found(cast, "路灯", unit=cast.child) == {child.pk}


def test_the_residents_name_is_never_in_the_index(cast: Cast) -> None:
    case = record(
        cast,
        "艾力·买买提反映，他家（电话13912345678）的羊圈倒了。",
        resident_name="艾力·买买提",
        resident_phone="13912345678",
    )
    text = AppealSearch.objects.get(case=case).text
    assert "艾力" not in text
    assert "买买" not in text
    assert "13912345678" not in text
    assert found(cast, "艾力") == set()
    assert found(cast, "羊圈") == {case.pk}
    assert found(cast, "13912345678") == {case.pk}  # the whole phone, by its blind index
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM appeals_appealsearch")
        assert all("艾力" not in row[0] for row in cursor.fetchall())


def test_status_changes_do_not_rewrite_the_document(cast: Cast) -> None:
    case = record(cast, "路灯坏了。")
    AppealSearch.objects.filter(case=case).update(text="marker")
    case.status = case.status  # a save that touches no searched field
    case.save(update_fields=["status", "updated_at"])
    assert AppealSearch.objects.get(case=case).text == "marker"
    case.save(update_fields=["title", "updated_at"])
    assert AppealSearch.objects.get(case=case).text != "marker"


def test_the_query_goes_through_the_text_index(cast: Cast) -> None:
    record(cast, "路灯坏了。")
    terms = search.query_terms("路灯 坏了")
    sql_params = search.match_sql(connection.vendor, terms)
    assert sql_params is not None
    sql, params = sql_params
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql.replace("%s", "?"), params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "appeals_search_tsv" in plan
