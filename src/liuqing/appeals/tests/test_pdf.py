"""The printable notice board and contact cards: valid PDFs with the right pages and text.

The PDFs are rendered with `compress=False`, and the text layer is read back without a PDF
library (public.testing.pdf_pages): STSong-Light writes each string as UTF-16BE, the embedded
Arabic font through its ToUnicode map, so Uyghur and Kazakh read back as the presentation
forms actually drawn, in visual order.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.ttfonts import TTFont

from liuqing.appeals import pdf_script
from liuqing.appeals.pdf import (
    CARD_W,
    ContactCard,
    NoticeBoard,
    NoticeRow,
    render_contact_cards,
    render_notice_board,
)
from liuqing.appeals.public.testing import pdf_pages

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


# --- Uyghur and Kazakh (Arabic script, right to left) ------------------------------------------

UG_LABELS = {
    "number": "نومۇر",
    "category": "تۈر",
    "summary": "ئىش",
    "status": "ھالەت",
    "result": "نەتىجە",
    "closed_on": "تاماملانغان ۋاقتى",
    "period": "مۇددەت: {period}",
    "duty_phone": "نۆۋەتچىلىك تېلېفونى: {phone}",
    "qr_caption": "بۇ تاختىنى توردا كۆرۈش ئۈچۈن سكانېرلاڭ",
    "footer": "ئىسىم ۋە شەخسىي ئۇچۇرلار ھەرگىز كۆرسىتىلمەيدۇ.",
    "generated_at": "بېسىلغان ۋاقتى: {time}",
    "page": "{pages} بەتتىن {page}-بەت",
    "lang": "ug",
}
KK_CARD_LABELS = {
    "duty_phone": "كەزەكشى تەلەفونى",
    "scan": "ٶتىنىش جىبەرۋ ٷشىن سكانەرلەڭىز",
    "page": "{pages} بەتتىڭ {page}-بەتى",
    "generated_at": "باسىلعان ۋاقىتى: {time}",
    "lang": "kk-arab",
}
# Letters that join and so must never be drawn in their bare (unshaped) form (the Kazakh high
# hamza U+0674 does not join).
JOINING = re.compile("[\u0626-\u064a\u0671-\u0673\u0675-\u06d5]")
NASKH = TTFont("naskh-test", str(pdf_script.FONT_FILE))
GRID_X = (A4[0] - 2 * CARD_W) / 2


def visual(text: str) -> str:
    """Expected drawn form of a one-line label on a right-to-left sheet."""
    return pdf_script.visual_line(text, rtl=True)


def arabic_glyphs(text: str) -> set[str]:
    return {ch for ch in text if pdf_script.has_arabic(ch)}


def test_uyghur_letters_take_their_contextual_forms() -> None:
    def names(word: str) -> list[str]:
        return [unicodedata.name(ch) for ch in pdf_script.shape(word)]

    assert names("تېز") == [
        "ARABIC LETTER TEH INITIAL FORM",
        "ARABIC LETTER E MEDIAL FORM",  # ې
        "ARABIC LETTER ZAIN FINAL FORM",
    ]
    assert names("بۆ")[1] == "ARABIC LETTER OE FINAL FORM"  # ۆ
    assert names("يۈز")[1] == "ARABIC LETTER YU FINAL FORM"  # ۈ
    assert names("ئەۋ") == [
        "ARABIC LETTER YEH WITH HAMZA ABOVE INITIAL FORM",
        "ARABIC LETTER HEH FINAL FORM",  # ە joins to the right like ه
        "ARABIC LETTER VE ISOLATED FORM",  # ۋ
    ]
    assert names("كۆڭۈل")[2] == "ARABIC LETTER NG INITIAL FORM"  # ڭ
    assert names("لا") == ["ARABIC LIGATURE LAM WITH ALEF ISOLATED FORM"]
    # ى in the middle of a word: the dotless Uyghur/Kazakh form.
    assert "ARABIC LETTER UIGHUR KAZAKH KIRGHIZ ALEF MAKSURA MEDIAL FORM" in names("بىر")


def test_kazakh_letters_take_their_contextual_forms() -> None:
    ask = [unicodedata.name(ch) for ch in pdf_script.shape("ٶتىنىش")]
    assert ask[0] == "ARABIC LETTER WAW WITH HAMZA ABOVE ISOLATED FORM"  # ٶ, like ؤ
    assert ask[1] == "ARABIC LETTER TEH INITIAL FORM"
    assert ask[-1] == "ARABIC LETTER SHEEN FINAL FORM"
    # The high hamza ٴ does not join and is drawn as it is; the letter after it starts a word.
    hamza = pdf_script.shape("ٴبىلىم")
    assert hamza[0] == "\u0674"
    assert unicodedata.name(hamza[1]) == "ARABIC LETTER BEH INITIAL FORM"


def test_a_bidi_line_keeps_numbers_and_chinese_in_reading_order() -> None:
    line = pdf_script.visual_line("نۆۋەت \u20662026-02-01\u2069 测试一所 SQ-2026-000001", rtl=True)
    assert "2026-02-01" in line
    assert "测试一所" in line
    assert "SQ-2026-000001" in line
    assert "\u2066" not in line  # the isolates steer the order and are not drawn
    # Right to left: the first word is drawn rightmost, i.e. last.
    assert line.endswith(visual("نۆۋەت"))


def test_a_long_uyghur_paragraph_wraps_first_line_first() -> None:
    words = [f"سۆز{k}" for k in range(40)]
    lines = pdf_script.break_lines(" ".join(words), 150, 9, "STSong-Light")
    assert len(lines) > 3
    assert lines[0].startswith("سۆز0 ")
    assert lines[-1].endswith("سۆز39")
    assert " ".join(lines).split() == words  # nothing lost, nothing doubled


def ug_board(rows: int) -> NoticeBoard:
    b = board(rows)
    return NoticeBoard(
        **{
            **b.__dict__,
            "title": "ئاھالىلەر ئىلتىماسلىرىنىڭ بىر تەرەپ قىلىنىش ئېلانى",
            "rows": [
                NoticeRow(
                    number=row.number,
                    category="قوي قوتىنى مۇستەھكەملەش",
                    summary="كەنتىمىزدىكى يول چىرىغى بۇزۇلۇپ قالدى، كەچتە بەك قاراڭغۇ. "
                    "تېلېفون 13812345678",
                    status_label="بىر تەرەپ قىلىندى",
                    result="ھەل قىلىندى",
                    closed_on=row.closed_on,
                    party_names=row.party_names,
                )
                for row in b.rows
            ],
            "labels": UG_LABELS,
        }
    )


def test_a_uyghur_board_is_shaped_and_set_right_to_left() -> None:
    pdf = render_notice_board(ug_board(3), compress=False)
    assert page_count(pdf) == 1
    assert b"/Lang (ug)" in pdf
    assert b"NotoNaskhArabic-Regular" in pdf  # the vendored font is embedded
    (text,) = pdf_pages(pdf)
    for key in ("number", "category", "summary", "status", "result", "closed_on"):
        for word in UG_LABELS[key].split():  # a narrow column wraps a heading
            assert visual(word) in text, key
    assert visual("ئاھالىلەر") in text
    assert visual("قوتىنى") in text  # a word of the category (the cell wraps)
    # Mirrored columns: the table is drawn left to right, so the number column (the first
    # one, on the right) comes last in each row.
    assert text.index(visual(UG_LABELS["closed_on"].split()[0])) < text.index(
        visual(UG_LABELS["number"])
    )
    assert text.index("2026-02-02") < text.index("SQ-2026-000001")
    # Values inside labels keep their order; the last guard still masks the phone.
    assert "2026-03-01 09:30" in text
    assert "0999-8123456" in text
    assert "2026年2月" in text
    assert "138****5678" in text
    assert "13812345678" not in text
    # Everything Arabic is drawn shaped, with glyphs the font really has.
    drawn = arabic_glyphs(text)
    assert drawn
    assert not [ch for ch in drawn if JOINING.match(ch)]
    assert {"\ufbe6", "\ufbe7"} & drawn  # ې initial/medial (تېلېفون, ئېلانى)
    assert "\ufeea" in drawn  # ە final
    assert not [ch for ch in drawn if ord(ch) not in NASKH.face.charToGlyph]


def test_a_long_uyghur_board_numbers_its_pages_right_to_left() -> None:
    pdf = render_notice_board(ug_board(40), compress=False)
    pages = pdf_pages(pdf)
    total = page_count(pdf)
    assert total >= 2
    for number, text in enumerate(pages, start=1):
        expected = visual(UG_LABELS["page"].format(page=f"\u2066{number}\u2069", pages=total))
        assert expected in text
        assert visual(UG_LABELS["number"]) in text  # the headings repeat


def test_uyghur_text_on_a_chinese_board_is_shaped_too() -> None:
    b = board(0, qr_url=None)
    row = NoticeRow(
        number="SQ-2026-000777",
        category="灌溉水渠",
        summary="ئېرىقتا سۇ يوق",
        status_label="办理中",
        result="",
        closed_on=None,
    )
    pdf = render_notice_board(NoticeBoard(**{**b.__dict__, "rows": [row]}), compress=False)
    (text,) = pdf_pages(pdf)
    assert "诉求事项" in text
    assert pdf_script.visual_line("ئېرىقتا سۇ يوق", rtl=False) in text
    assert visual("ئېرىقتا") in text
    assert not [ch for ch in arabic_glyphs(text) if JOINING.match(ch)]


def test_kazakh_contact_cards_are_mirrored_and_shaped() -> None:
    sheet = [
        ContactCard(
            officer_name="ٴابىلقايىر ٴابدىراحمان" if k % 2 else "李警官",
            unit_name="测试一所",
            role_label="ٶڭىرلىك ساقشى",
            duty_phone="0999-8123456",
            qr_url=f"https://liuqing.example/p/new/?officer={k}&lang=kk-arab",
            headline="ٶڭىرلىك ساقشى",
        )
        for k in range(1, 4)
    ]
    pdf = render_contact_cards(sheet, KK_CARD_LABELS, generated_at=GENERATED, compress=False)
    (text,) = pdf_pages(pdf)
    assert text.count(visual("سكانەرلەڭىز")) == 3  # the caption under each QR code
    assert visual(KK_CARD_LABELS["duty_phone"]) in text
    assert visual("ٴابىلقايىر") in text
    assert "李警官" in text
    assert "0999-8123456" in text
    assert "2026-03-01 09:30" in text
    drawn = arabic_glyphs(text)
    assert "\ufe85" in drawn  # ٶ drawn as the isolated form of its look-alike ؤ
    assert "\u0674" in drawn  # the high hamza
    assert not [ch for ch in drawn if JOINING.match(ch)]
    assert not [ch for ch in drawn if ord(ch) not in NASKH.face.charToGlyph]


def test_a_right_to_left_card_puts_the_qr_code_on_the_left() -> None:
    def qr_offsets(pdf: bytes) -> list[float]:
        """Where each card's QR code (its white square, the only filled rectangle of that
        size) starts, measured from the card's left edge."""
        (stream,) = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S)
        side = re.escape(f"{25 * mm:.4f}"[:6].encode())
        found = re.findall(rb"([\d.]+) [\d.]+ " + side + rb"\d* [\d.]+ re f", stream)
        return [(float(x) - GRID_X) % CARD_W for x in found]

    ltr = qr_offsets(render_contact_cards(cards(4), {"lang": "zh-hans"}, compress=False))
    rtl = qr_offsets(render_contact_cards(cards(4), {"lang": "ug"}, compress=False))
    assert len(ltr) == len(rtl) == 4
    assert all(offset > CARD_W / 2 for offset in ltr)
    assert all(offset < CARD_W / 2 for offset in rtl)
