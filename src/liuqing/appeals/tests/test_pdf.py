"""The printable notice board and contact cards: valid PDFs with the right pages and text.

The PDFs are rendered with `compress=False` so the text layer can be read back here without a
PDF library: STSong-Light writes each string as UTF-16BE inside `( ... ) Tj`.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

from liuqing.appeals.pdf import (
    ContactCard,
    NoticeBoard,
    NoticeRow,
    render_contact_cards,
    render_notice_board,
)

GENERATED = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LABELS = {
    "number": "编号",
    "category": "类别",
    "summary": "诉求事项",
    "status": "状态",
    "result": "办理结果",
    "closed_on": "办结日期",
    "duty_phone": "值班电话：{phone}",
    "footer": "对公示内容有异议的，请于公示期内向警务室反映。",
    "qr_caption": "扫码查看网上公示",
    "generated_at": "生成时间：{time}",
    "page": "第 {page} 页，共 {pages} 页",
}
CATEGORIES = ["羊圈加固", "灌溉水渠", "路灯维修", "拖欠工资", "居住证办理", "邻里噪音"]


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        ch = raw[i]
        if ch != 0x5C:  # backslash
            out.append(ch)
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(nxt, nxt)
            i += 2
    return bytes(out)


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page of an uncompressed reportlab PDF, in drawing order."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S)
    pages = []
    for stream in streams:
        strings = re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S)
        if not strings:
            continue
        pages.append("".join(_unescape(s).decode("utf-16-be", "replace") for s in strings))
    return pages


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def board(rows: int, *, qr_url: str | None = "https://liuqing.example/gs/T654002") -> NoticeBoard:
    return NoticeBoard(
        title="幸福村诉求办理公示",
        unit_name="测试一所",
        place_name="幸福村",
        period_label="2026年2月",
        generated_at=GENERATED,
        rows=[
            NoticeRow(
                number=f"SQ-2026-{k:06d}",
                category=CATEGORIES[k % len(CATEGORIES)],
                summary=f"村民反映第{k}组羊圈围栏倒塌，需加固，请联系13812345678。"
                + "详细情况已记录。" * (k % 4),
                status_label="已办结" if k % 3 else "办理中",
                result="已协调村委会加固围栏，村民满意。" if k % 3 else "",
                closed_on=dt.date(2026, 2, k % 28 + 1) if k % 3 else None,
                party_names=("王建军",),
            )
            for k in range(1, rows + 1)
        ],
        labels=LABELS,
        qr_url=qr_url,
        duty_phone="0999-8123456",
    )


def test_a_short_board_is_one_page_with_title_columns_footer_and_masked_phone() -> None:
    pdf = render_notice_board(board(3), compress=False)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) == 1
    (text,) = pdf_pages(pdf)
    assert "幸福村诉求办理公示" in text
    assert "测试一所 ・ 幸福村" in text
    for heading in ("编号", "类别", "诉求事项", "状态", "办理结果", "办结日期"):
        assert heading in text
    assert "SQ-2026-000001" in text
    assert "138****5678" in text
    assert "13812345678" not in text
    assert "值班电话：0999-8123456" in text  # the unit's own duty line is printed as given
    assert "对公示内容有异议" in text
    assert "扫码查看网上公示" in text
    assert "生成时间：2026-03-01 09:30" in text
    assert "第 1 页，共 1 页" in text


def test_a_long_board_runs_over_several_numbered_pages() -> None:
    pdf = render_notice_board(board(60), compress=False)
    pages = pdf_pages(pdf)
    total = page_count(pdf)
    assert total >= 3
    assert len(pages) == total
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页，共 {total} 页" in text
        assert "生成时间" in text
        if "SQ-2026-" in text:
            assert "诉求事项" in text  # column headings repeat on every page of the table
    joined = "".join(pages)
    assert "SQ-2026-000060" in joined
    assert "13812345678" not in joined


def test_the_last_guard_masks_names_and_ids_the_caller_missed() -> None:
    row = NoticeRow(
        number="SQ-2026-000999",
        category="拖欠工资",
        summary="王建军反映工资未付，身份证654001199003071233，同行艾力·买买提。",
        status_label="已办结",
        result="建军已领到工资3000元。",
        closed_on="2026-02-20",
        party_names=("王建军", "艾力·买买提"),
    )
    b = board(0)
    pdf = render_notice_board(
        NoticeBoard(**{**b.__dict__, "rows": [row], "qr_url": None}), compress=False
    )
    text = "".join(pdf_pages(pdf))
    assert "王**反映工资未付" in text
    assert "建*已领到工资3000元" in text
    assert "654001199003071233" not in text
    # STSong-Light has no U+00B7; the printable middle dot is U+30FB
    assert "艾*・买**" in text
    assert "2026-02-20" in text


def test_an_empty_board_says_so_and_markup_in_text_is_printed_literally() -> None:
    b = board(0, qr_url=None)
    pdf = render_notice_board(
        NoticeBoard(**{**b.__dict__, "title": "公示 <b>&</b>", "labels": {"empty": "本期无事项"}}),
        compress=False,
    )
    (text,) = pdf_pages(pdf)
    assert "公示 <b>&</b>" in text
    assert "本期无事项" in text


def test_compression_is_on_by_default() -> None:
    compressed = render_notice_board(board(20))
    assert compressed.startswith(b"%PDF-")
    assert b"/FlateDecode" in compressed
    assert len(compressed) < len(render_notice_board(board(20), compress=False))


def cards(n: int) -> list[ContactCard]:
    return [
        ContactCard(
            officer_name=f"李警官{k}",
            unit_name="新疆测试边境管理支队测试一大队测试一所幸福村警务室",
            role_label="社区民警",
            duty_phone="0999-8123456",
            qr_url=f"https://liuqing.example/s/new?officer={k}&unit=T654002-01",
            headline="有事找民警 · 扫码提诉求",
            footer="24小时值班，紧急情况请拨110",
        )
        for k in range(1, n + 1)
    ]


def test_contact_cards_fill_eight_to_a_page() -> None:
    labels = {"duty_phone": "值班电话", "scan": "微信扫码提交诉求", "page": "第 {page}/{pages} 页"}
    pdf = render_contact_cards(cards(11), labels, generated_at=GENERATED, compress=False)
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 2
    first, second = pdf_pages(pdf)
    assert first.count("微信扫码提交诉求") == 8
    assert second.count("微信扫码提交诉求") == 3
    assert "李警官1" in first
    assert "李警官11" in second
    assert "0999-8123456" in first  # the officer's duty phone is public on purpose
    assert "有事找民警" in first
    assert "第 1/2 页" in first
    assert "第 2/2 页" in second


def test_no_cards_make_one_page_that_says_so() -> None:
    pdf = render_contact_cards([], {"empty": "没有民警"}, compress=False)
    assert page_count(pdf) == 1
    assert "没有民警" in pdf_pages(pdf)[0]


def test_page_one_rasterises_when_poppler_is_installed(tmp_path: Path) -> None:
    pdf = render_notice_board(board(5))
    card_pdf = render_contact_cards(cards(3), {})
    assert pdf.startswith(b"%PDF-")
    assert card_pdf.startswith(b"%PDF-")
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return  # optional check; the assertions above still ran
    for name, data in (("board", pdf), ("cards", card_pdf)):
        source = tmp_path / f"{name}.pdf"
        source.write_bytes(data)
        subprocess.run(
            [pdftoppm, "-png", "-r", "50", "-f", "1", "-l", "1", str(source), str(tmp_path / name)],
            check=True,
            capture_output=True,
        )
        (png,) = tmp_path.glob(f"{name}*.png")
        assert png.read_bytes().startswith(b"\x89PNG")
        assert png.stat().st_size > 1000
