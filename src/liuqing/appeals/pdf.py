"""Printable A4 PDFs for the appeals module: the village notice board (公示) and contact cards.

Both functions take plain dataclasses, not models, and every string already translated: the
caller (a view or a CLI command) builds them from records and gettext. Chinese and Latin text
is set in reportlab's built-in CID font STSong-Light (no font file needed); Arabic-script text
(Uyghur, Kazakh) in the Noto Naskh Arabic font shipped in fonts/, shaped and put in visual
order by appeals.pdf_script. The labels' "lang" decides the direction of the sheet: for a
right-to-left language (ug, kk-arab) text is right-aligned, the board's columns run from
right to left and the contact card is mirrored (QR code on the left). Residents' Uyghur or
Kazakh text on a Chinese sheet is shaped and right-aligned too.

`compress=False` writes uncompressed page streams so tests can read the text layer.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from liuqing.appeals.pdf_script import BidiText, draw_line, has_arabic, is_rtl_language
from liuqing.core.redact import redact

__all__ = [
    "CONTACT_CARD_LABELS",
    "NOTICE_BOARD_LABELS",
    "ContactCard",
    "NoticeBoard",
    "NoticeRow",
    "render_contact_cards",
    "render_notice_board",
]

FONT = "STSong-Light"
if FONT not in pdfmetrics.getRegisteredFontNames():
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))

# Defaults for labels the caller does not pass (Simplified Chinese, the shipped language).
# "{...}" fields are filled in here; a translation that drops a field still prints.
NOTICE_BOARD_LABELS: dict[str, str] = {
    "number": "编号",
    "category": "类别",
    "summary": "事项",
    "status": "状态",
    "result": "办理结果",
    "closed_on": "办结日期",
    "period": "公示期间：{period}",
    "duty_phone": "值班电话：{phone}",
    "qr_caption": "扫码查看网上公示",
    "footer": "",
    "empty": "本期暂无公示事项。",
    "generated_at": "生成时间：{time}",
    "page": "第 {page} 页，共 {pages} 页",
    "none": "—",
    "lang": "zh-CN",
}
CONTACT_CARD_LABELS: dict[str, str] = {
    "duty_phone": "值班电话",
    "scan": "扫码提交诉求",
    "empty": "没有可打印的联系卡。",
    "generated_at": "生成时间：{time}",
    "page": "第 {page} 页，共 {pages} 页",
    "title": "民警联系卡",
    "lang": "zh-CN",
}


@dataclass(frozen=True)
class NoticeRow:
    """One matter on the board. `summary` and `result` are the officer-approved public texts;
    `party_names` (optional) are masked again as a last guard and never printed."""

    number: str
    category: str
    summary: str
    status_label: str
    result: str
    closed_on: dt.date | str | None
    party_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoticeBoard:
    """A village's or community's notice board for one period (公示)."""

    title: str
    unit_name: str
    place_name: str
    period_label: str
    generated_at: dt.datetime
    rows: Sequence[NoticeRow]
    labels: Mapping[str, str]
    qr_url: str | None = None
    duty_phone: str = ""


@dataclass(frozen=True)
class ContactCard:
    """One officer's card: `qr_url` opens the request form with officer and unit filled in."""

    officer_name: str
    unit_name: str
    role_label: str
    duty_phone: str
    qr_url: str
    headline: str = ""
    footer: str = ""


# --- Shared pieces ---------------------------------------------------------------------------


class _SafeFields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _label(
    labels: Mapping[str, str],
    defaults: Mapping[str, str],
    key: str,
    *,
    isolate: bool = False,
    **fields: str,
) -> str:
    """The label `key` with its {fields} filled in. `isolate` (right-to-left sheets) wraps
    each value in a left-to-right isolate (U+2066 … U+2069), so a date, a time or a phone
    number after Arabic-script words keeps its own order (the bidi algorithm would otherwise
    take "2026-02-01" after an Arabic letter as three Arabic numbers, 01-02-2026)."""
    template = labels.get(key, defaults.get(key, ""))
    if not fields:
        return template
    if isolate:
        fields = {name: f"\u2066{value}\u2069" for name, value in fields.items()}
    try:
        text = template.format_map(_SafeFields(fields))
    except (ValueError, IndexError):  # a translation with stray braces
        text = template
    if all(f"{{{name}}}" not in template for name in fields):
        text = " ".join([text, *fields.values()]).strip()
    return text


def _style(size: float, *, align: int = TA_LEFT, leading: float | None = None, **kw: Any) -> Any:
    return ParagraphStyle(
        f"lq{size}{align}",
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.35,
        alignment=align,
        wordWrap="CJK",
        **kw,
    )


# STSong-Light's Unicode map (UniGB-UCS2-H) has no glyph for U+00B7, the middle dot of
# transliterated Uyghur names (艾力·买买提), nor for its look-alikes; U+30FB is GB2312's own.
_UNMAPPED = str.maketrans({"\u00b7": "\u30fb", "\u2022": "\u30fb", "\u2027": "\u30fb"})


def _printable(text: str) -> str:
    return text.translate(_UNMAPPED)


def _para(text: str, style: Any, *, rtl: bool = False) -> Flowable:
    if rtl or has_arabic(text):
        return BidiText(_printable(text), style, rtl=rtl)
    # Paragraph reads a little markup; residents' text must never be taken as markup.
    return Paragraph(escape(_printable(text)).replace("\n", "<br/>"), style)


def _footer(
    canv: rl_canvas.Canvas, generated: str, page_label: str, y: float, *, rtl: bool
) -> None:
    """A page's small print at height y: when it was printed at the start of the line, the
    page number at its end (mirrored on a right-to-left sheet), Arabic script shaped."""
    canv.saveState()
    canv.setFillColor(colors.HexColor("#444444"))
    left, right = (page_label, generated) if rtl else (generated, page_label)
    for text, x, align in ((left, _MARGIN, "left"), (right, A4[0] - _MARGIN, "right")):
        draw_line(canv, _printable(text), x, y, size=8, cjk_font=FONT, rtl=rtl, align=align)
    canv.restoreState()


def _draw_qr(canv: rl_canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw a QR code for `url` as vector squares, bottom-left corner at (x, y)."""
    qr = segno.make(url, error="m", micro=False)
    rows = [list(r) for r in qr.matrix_iter(scale=1, border=2)]
    module = size / len(rows)
    canv.saveState()
    canv.setFillColor(colors.white)
    canv.rect(x, y, size, size, stroke=0, fill=1)
    canv.setFillColor(colors.black)
    path = canv.beginPath()
    for r, row in enumerate(rows):
        top = y + size - (r + 1) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # Runs of dark modules are one rectangle; the slight overlap hides hairline gaps.
            path.rect(x + start * module, top, (c - start) * module + 0.05, module + 0.05)
    canv.drawPath(path, stroke=0, fill=1)
    canv.restoreState()


class _QrFlowable(Flowable):
    def __init__(self, url: str, size: float) -> None:
        super().__init__()
        self.url = url
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        _draw_qr(self.canv, self.url, 0, 0, self.size)


def _numbered_canvas(
    decorate: Callable[[rl_canvas.Canvas, int, int], None],
) -> type[rl_canvas.Canvas]:
    """A canvas class that holds pages back until the end, to print "page n of N"."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                decorate(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _when(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


# --- Notice board ----------------------------------------------------------------------------

_MARGIN = 15 * mm
# number, category, summary, status, result, closed on: 180 mm in all
_COLUMNS = (27 * mm, 19 * mm, 55 * mm, 16 * mm, 44 * mm, 19 * mm)


def render_notice_board(board: NoticeBoard, *, compress: bool = True) -> bytes:
    """The board as a printable A4 portrait PDF: title, a table of matters that continues
    over as many pages as needed (headings repeated), then the duty phone, the footer text
    and a QR code to the online board when `qr_url` is set. Every page carries the
    generated-at time and "page n of N".

    The caller redacts; `summary` and `result` pass through `core.redact.redact` once more
    (with each row's `party_names`) as a last guard.
    """
    labels, defaults = board.labels, NOTICE_BOARD_LABELS

    rtl = is_rtl_language(labels.get("lang", defaults["lang"]))

    def label(key: str, **fields: str) -> str:
        return _label(labels, defaults, key, isolate=rtl, **fields)

    def para(text: str, style: Any) -> Flowable:
        return _para(text, style, rtl=rtl)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN + 6 * mm,
        title=board.title,
        author=board.unit_name,
        subject=board.period_label,
        creator="Liuqing",
        lang=label("lang"),
        pageCompression=1 if compress else 0,
    )
    title = _style(22, align=TA_CENTER, leading=30, spaceAfter=2 * mm)
    subtitle = _style(10.5, align=TA_CENTER, textColor=colors.HexColor("#333333"))
    head = _style(9.5, leading=12)
    cell = _style(9, leading=12)
    small = _style(9, leading=13)

    heading_line = " ・ ".join(p for p in (board.unit_name, board.place_name) if p)
    story: list[Flowable] = [para(board.title, title)]
    if heading_line:
        story.append(para(heading_line, subtitle))
    if board.period_label:
        story.append(para(label("period", period=board.period_label), subtitle))
    story.append(Spacer(1, 5 * mm))

    data: list[list[Flowable]] = [
        [
            para(label(key), head)
            for key in ("number", "category", "summary", "status", "result", "closed_on")
        ]
    ]
    for row in board.rows:
        names = tuple(row.party_names)
        closed = row.closed_on
        closed_text = (
            closed.isoformat() if isinstance(closed, dt.date) else (closed or label("none"))
        )
        data.append(
            [
                para(row.number, cell),
                para(row.category, cell),
                para(redact(row.summary, names=names), cell),
                para(row.status_label, cell),
                para(redact(row.result, names=names) or label("none"), cell),
                para(closed_text, cell),
            ]
        )
    columns = _COLUMNS
    if rtl:  # the first column (the number) on the right
        data = [row[::-1] for row in data]
        columns = _COLUMNS[::-1]
    if board.rows:
        table = Table(data, colWidths=columns, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e3e3")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    (
                        "ROWBACKGROUNDS",
                        (0, 1),
                        (-1, -1),
                        [colors.white, colors.HexColor("#f6f6f6")],
                    ),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        story.append(table)
    else:
        story.append(para(label("empty"), small))

    closing: list[Flowable] = []
    if board.duty_phone:
        closing.append(para(label("duty_phone", phone=board.duty_phone), _style(12, leading=17)))
    if label("footer"):
        closing.append(para(label("footer"), small))
    if board.qr_url:
        qr_size = 30 * mm
        cells: list[Any] = [_QrFlowable(board.qr_url, qr_size), closing or [Spacer(1, 1)]]
        widths: tuple[float | None, ...] = (qr_size + 4 * mm, None)
        qr_column = 0
        if rtl:  # the QR code on the right, the text to its left
            cells, widths, qr_column = cells[::-1], (None, qr_size + 4 * mm), 1
        block = Table([cells], colWidths=widths)
        block.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (qr_column, 0), (qr_column, 0), 0 if not rtl else 4 * mm),
                    ("RIGHTPADDING", (qr_column, 0), (qr_column, 0), 0),
                ]
            )
        )
        caption = para(label("qr_caption"), _style(8, leading=10))
        story.append(Spacer(1, 6 * mm))
        story.append(KeepTogether([block, caption]))
    elif closing:
        story.append(Spacer(1, 6 * mm))
        story.append(KeepTogether(closing))

    generated = label("generated_at", time=_when(board.generated_at))

    def decorate(canv: rl_canvas.Canvas, page: int, pages: int) -> None:
        page_label = label("page", page=str(page), pages=str(pages))
        _footer(canv, generated, page_label, _MARGIN, rtl=rtl)

    doc.build(story, canvasmaker=_numbered_canvas(decorate))
    return buffer.getvalue()


# --- Contact cards ---------------------------------------------------------------------------

# Chinese business-card size, two across and four down, edge to edge so one cut serves two
# cards; cut marks sit in the margins on every grid line.
CARD_W, CARD_H = 90 * mm, 54 * mm
_COLS, _ROWS = 2, 4
_GRID_X = (A4[0] - _COLS * CARD_W) / 2
_GRID_Y = (A4[1] - _ROWS * CARD_H) / 2
_PAD = 4 * mm
_QR = 25 * mm
_BAND = 8 * mm
_INK = colors.HexColor("#17305e")


def _fit(
    canv: rl_canvas.Canvas,
    text: str,
    x: float,
    top: float,
    width: float,
    height: float,
    size: float,
    *,
    min_size: float = 6,
    align: int = TA_LEFT,
    color: Any = colors.black,
    rtl: bool = False,
) -> float:
    """Draw `text` wrapped into the box, shrinking (then shortening) it until it fits.
    Returns the height used."""
    if not text:
        return 0.0
    current, shown = size, text
    while True:
        style = _style(current, align=align, leading=current * 1.25, textColor=color)
        para = _para(shown, style, rtl=rtl)
        _, used = para.wrap(width, height)
        if used <= height:
            break
        if current > min_size:
            current = max(min_size, current - 0.5)
        elif len(shown) > 1:
            shown = shown[:-2] + "…"
        else:
            break
    para.drawOn(canv, x, top - used)
    return float(used)


def _cut_marks(canv: rl_canvas.Canvas) -> None:
    canv.saveState()
    canv.setLineWidth(0.3)
    canv.setStrokeColor(colors.black)
    mark, gap = 5 * mm, 1.5 * mm
    left, right = _GRID_X, _GRID_X + _COLS * CARD_W
    bottom, top = _GRID_Y, _GRID_Y + _ROWS * CARD_H
    for c in range(_COLS + 1):
        x = left + c * CARD_W
        canv.line(x, top + gap, x, top + gap + mark)
        canv.line(x, bottom - gap, x, bottom - gap - mark)
    for r in range(_ROWS + 1):
        y = bottom + r * CARD_H
        canv.line(left - gap, y, left - gap - mark, y)
        canv.line(right + gap, y, right + gap + mark, y)
    canv.restoreState()


def _draw_card(
    canv: rl_canvas.Canvas,
    card: ContactCard,
    x: float,
    y: float,
    labels: Mapping[str, str],
    *,
    rtl: bool = False,
) -> None:
    """One card with its bottom-left corner at (x, y): the QR code at the trailing side
    (right, or left on a right-to-left card), the text at the leading side."""

    def label(key: str) -> str:
        return _label(labels, CONTACT_CARD_LABELS, key)

    def fit(text: str, left: float, top: float, width: float, height: float, size: float,
            **kw: Any) -> float:  # fmt: skip
        return _fit(canv, text, left, top, width, height, size, rtl=rtl, **kw)

    canv.saveState()
    # A hairline frame in light grey: invisible after a clean cut, a guide if the cut wanders.
    canv.setStrokeColor(colors.HexColor("#dddddd"))
    canv.setLineWidth(0.25)
    canv.rect(x, y, CARD_W, CARD_H, stroke=1, fill=0)
    top = y + CARD_H
    if card.headline:
        canv.setFillColor(_INK)
        canv.rect(x, top - _BAND, CARD_W, _BAND, stroke=0, fill=1)
        fit(
            card.headline,
            x + _PAD,
            top - 1.6 * mm,
            CARD_W - 2 * _PAD,
            _BAND - 2 * mm,
            10,
            min_size=6,
            align=TA_CENTER,
            color=colors.white,
        )
        top -= _BAND
    qr_x = x + _PAD if rtl else x + CARD_W - _PAD - _QR
    qr_top = top - 2.5 * mm
    _draw_qr(canv, card.qr_url, qr_x, qr_top - _QR, _QR)
    fit(
        label("scan"),
        qr_x - 1 * mm,
        qr_top - _QR - 0.8 * mm,
        _QR + 2 * mm,
        7 * mm,
        6.5,
        min_size=5,
        align=TA_CENTER,
    )

    text_w = CARD_W - 2 * _PAD - _QR - 3 * mm
    text_x = x + CARD_W - _PAD - text_w if rtl else x + _PAD
    cursor = top - 3 * mm
    cursor -= fit(card.officer_name, text_x, cursor, text_w, 8 * mm, 15, min_size=9)
    cursor -= 1 * mm
    cursor -= fit(
        card.role_label,
        text_x,
        cursor,
        text_w,
        5 * mm,
        8.5,
        min_size=6,
        color=colors.HexColor("#333333"),
    )
    cursor -= 1 * mm
    cursor -= fit(card.unit_name, text_x, cursor, text_w, 11 * mm, 8.5, min_size=6)
    cursor -= 2 * mm
    phone_room = cursor - (y + _PAD + (4 * mm if card.footer else 0))
    if card.duty_phone and phone_room > 3 * mm:
        used = fit(
            label("duty_phone"),
            text_x,
            cursor,
            text_w,
            min(4 * mm, phone_room),
            7.5,
            min_size=6,
            color=colors.HexColor("#333333"),
        )
        fit(
            card.duty_phone,
            text_x,
            cursor - used,
            text_w,
            max(phone_room - used, 4 * mm),
            12,
            min_size=8,
            color=_INK,
        )
    if card.footer:
        fit(
            card.footer,
            text_x,
            y + _PAD + 3 * mm,
            text_w,
            3.5 * mm,
            6.5,
            min_size=5,
            color=colors.HexColor("#444444"),
        )
    canv.restoreState()


def render_contact_cards(
    cards: Sequence[ContactCard],
    labels: Mapping[str, str],
    *,
    generated_at: dt.datetime | None = None,
    compress: bool = True,
) -> bytes:
    """Sheets of business-card-size contact cards (2 × 4 per A4 page, cut marks in the
    margins), each with the officer's name, role, unit, duty phone and a QR code to the
    request form. Many cards make several pages; no cards make one page saying so.

    The officer's name and duty phone are meant to be public here and are not redacted.
    """
    buffer = io.BytesIO()
    canv = rl_canvas.Canvas(
        buffer, pagesize=A4, pageCompression=1 if compress else 0, lang=labels.get("lang")
    )
    rtl = is_rtl_language(labels.get("lang"))
    canv.setTitle(_label(labels, CONTACT_CARD_LABELS, "title"))
    canv.setCreator("Liuqing")
    per_page = _COLS * _ROWS
    pages = max(1, math.ceil(len(cards) / per_page))
    for page in range(pages):
        chunk = cards[page * per_page : (page + 1) * per_page]
        if not chunk:
            _fit(
                canv,
                _label(labels, CONTACT_CARD_LABELS, "empty"),
                _MARGIN,
                A4[1] - _MARGIN,
                A4[0] - 2 * _MARGIN,
                20 * mm,
                12,
                rtl=rtl,
            )
        else:
            _cut_marks(canv)
        for k, card in enumerate(chunk):
            col, row = k % _COLS, k // _COLS
            x = _GRID_X + col * CARD_W
            y = _GRID_Y + (_ROWS - 1 - row) * CARD_H
            if rtl:  # the first card of a row on the right
                x = _GRID_X + (_COLS - 1 - col) * CARD_W
            _draw_card(canv, card, x, y, labels, rtl=rtl)
        when = ""
        if generated_at is not None:
            when = _label(
                labels,
                CONTACT_CARD_LABELS,
                "generated_at",
                isolate=rtl,
                time=_when(generated_at),
            )
        page_label = _label(
            labels,
            CONTACT_CARD_LABELS,
            "page",
            isolate=rtl,
            page=str(page + 1),
            pages=str(pages),
        )
        _footer(canv, when, page_label, 12 * mm, rtl=rtl)
        canv.showPage()
    canv.save()
    return buffer.getvalue()
