"""The written mediation agreement (人民调解协议书) as DOCX (python-docx) and PDF (reportlab).

The content the People's Mediation Law (Art. 29) requires: the parties' basic details, the
main facts of the dispute, the disputed matters and each side's responsibility, the content
agreed, the method and deadline of performance; then the signature lines of every party
(signature, seal or fingerprint), the mediator's signature and the committee's seal area,
and how many copies are made. The form is the statutory Chinese text (`LABELS`), like the
notice board of `liuqing.appeals.pdf`; the PDF is set in reportlab's built-in CID font
STSong-Light, so no font file is needed.

Both renderers take an `AgreementDoc` (plain data, not models): the caller builds it with
`agreement_doc` from the records. Identity-card numbers and phone numbers are printed
masked; names and addresses in full (the parties sign this paper).

`compress=False` writes uncompressed page streams so tests can read the text layer.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from liuqing.mediation.models import Agreement, PartyRole

FONT = "STSong-Light"
if FONT not in pdfmetrics.getRegisteredFontNames():
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))

LABELS = {
    "title": "人民调解协议书",
    "parties": "当事人",
    "applicant": "申请人",
    "respondent": "被申请人",
    "third": "第三人",
    "organisation": "（单位）",
    "id_number": "身份证号码",
    "address": "住所",
    "phone": "联系电话",
    "agent": "委托代理人",
    "facts": "纠纷主要事实",
    "matters": "争议事项",
    "responsibilities": "各方当事人的责任",
    "content": "经调解，各方当事人自愿达成如下协议",
    "performance": "履行方式和期限",
    "obligor": "义务人",
    "obligee": "权利人",
    "action": "履行内容",
    "amount": "金额（元）",
    "method": "履行方式",
    "due": "履行期限",
    "copies": (
        "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起"
        "生效。本协议一式{copies}份，当事人各执一份，人民调解委员会留存一份。"
    ),
    "confirmation": "当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。",
    "party_sign": "当事人（签名、盖章或按指印）：",
    "mediator_sign": "人民调解员（签名）：",
    "seal": "人民调解委员会（印章）",
    "date": "{date}",
    "none": "—",
}


@dataclass(frozen=True)
class PartyLine:
    role: str  # the role label
    name: str
    organisation: bool
    id_number: str  # masked
    address: str
    phone: str  # masked
    agent: str


@dataclass(frozen=True)
class ObligationLine:
    obligor: str
    obligee: str
    action: str
    amount: Decimal | None
    method: str
    due: dt.date


@dataclass(frozen=True)
class AgreementDoc:
    number: str
    committee: str
    parties: Sequence[PartyLine]
    facts: str
    matters: str
    responsibilities: str
    content: str
    obligations: Sequence[ObligationLine]
    mediators: Sequence[str]
    effective_on: dt.date


def agreement_doc(agreement: Agreement) -> AgreementDoc:
    """The printable agreement from its records (decrypts the parties' details)."""
    dispute = agreement.dispute
    roles = {
        PartyRole.APPLICANT: LABELS["applicant"],
        PartyRole.RESPONDENT: LABELS["respondent"],
        PartyRole.THIRD: LABELS["third"],
    }
    parties = list(dispute.parties.all())
    names = {p.pk: str(p.name.reveal()) if p.name else "" for p in parties}
    return AgreementDoc(
        number=agreement.number,
        committee=dispute.committee.name,
        parties=[
            PartyLine(
                role=roles.get(PartyRole(p.role), p.role),
                name=names[p.pk],
                organisation=p.is_organisation,
                id_number=p.id_number.masked if p.id_number else "",
                address=p.address.reveal() if p.address else "",
                phone=p.phone.masked if p.phone else "",
                agent=p.agent_name.reveal() if p.agent_name else "",
            )
            for p in parties
        ],
        facts=agreement.facts,
        matters=agreement.matters,
        responsibilities=agreement.responsibilities,
        content=agreement.content,
        obligations=[
            ObligationLine(
                obligor=names.get(o.obligor_id, ""),
                obligee=names.get(o.obligee_id, ""),
                action=o.action,
                amount=o.amount,
                method=o.method,
                due=o.due_date,
            )
            for o in agreement.obligations.order_by("due_date", "pk")
        ],
        mediators=[m.name for m in dispute.mediators.filter(ended_at__isnull=True)],
        effective_on=timezone.localtime(agreement.effective_at).date(),
    )


def _day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _party_text(p: PartyLine) -> str:
    parts = [f"{p.role}：{p.name}{LABELS['organisation'] if p.organisation else ''}"]
    if p.id_number:
        parts.append(f"{LABELS['id_number']}：{p.id_number}")
    if p.address:
        parts.append(f"{LABELS['address']}：{p.address}")
    if p.phone:
        parts.append(f"{LABELS['phone']}：{p.phone}")
    if p.agent:
        parts.append(f"{LABELS['agent']}：{p.agent}")
    return "，".join(parts)


def _amount(value: Decimal | None) -> str:
    return LABELS["none"] if value is None else f"{value:,.2f}"


def _obligation_rows(doc: AgreementDoc) -> list[list[str]]:
    header = [LABELS[k] for k in ("obligor", "obligee", "action", "amount", "method", "due")]
    return [header] + [
        [o.obligor, o.obligee, o.action, _amount(o.amount), o.method or LABELS["none"], _day(o.due)]
        for o in doc.obligations
    ]


def _copies(doc: AgreementDoc) -> str:
    return LABELS["copies"].format(copies=len(doc.parties) + 1)


def render_docx(doc: AgreementDoc) -> bytes:
    """The agreement as a Word document."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(LABELS["title"])
    run.bold = True
    run.font.size = Pt(20)
    number = document.add_paragraph(doc.number)
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    document.add_paragraph().add_run(LABELS["parties"]).bold = True
    for party in doc.parties:
        document.add_paragraph(_party_text(party))
    for key, text in (
        ("facts", doc.facts),
        ("matters", doc.matters),
        ("responsibilities", doc.responsibilities),
        ("content", doc.content),
    ):
        document.add_paragraph().add_run(LABELS[key] + "：").bold = True
        document.add_paragraph(text or LABELS["none"])
    document.add_paragraph().add_run(LABELS["performance"] + "：").bold = True
    rows = _obligation_rows(doc)
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph(_copies(doc))
    document.add_paragraph(LABELS["confirmation"])
    document.add_paragraph()
    for party in doc.parties:
        document.add_paragraph(f"{LABELS['party_sign']}{party.role} {party.name}  ____________")
    document.add_paragraph(f"{LABELS['mediator_sign']}{'、'.join(doc.mediators)}  ____________")
    seal = document.add_paragraph(f"{doc.committee}\n{LABELS['seal']}\n{_day(doc.effective_on)}")
    seal.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _style(size: float, *, align: int = TA_LEFT, leading: float | None = None) -> ParagraphStyle:
    return ParagraphStyle(
        name=f"s{size}{align}",
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.5,
        alignment=align,
        wordWrap="CJK",
    )


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render_pdf(doc: AgreementDoc, *, compress: bool = True) -> bytes:
    """The agreement as an A4 PDF."""
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=LABELS["title"],
        pageCompression=1 if compress else 0,
    )
    body, heading = _style(11), _style(12)
    story: list[object] = [
        _para(LABELS["title"], _style(20, align=TA_CENTER)),
        Spacer(1, 4 * mm),
        _para(doc.number, _style(11, align=2)),
        Spacer(1, 4 * mm),
        _para(LABELS["parties"], heading),
    ]
    story += [_para(_party_text(p), body) for p in doc.parties]
    for key, text in (
        ("facts", doc.facts),
        ("matters", doc.matters),
        ("responsibilities", doc.responsibilities),
        ("content", doc.content),
    ):
        story += [Spacer(1, 3 * mm), _para(LABELS[key] + "：", heading), _para(text or "—", body)]
    story += [Spacer(1, 3 * mm), _para(LABELS["performance"] + "：", heading)]
    cell = _style(9)
    rows = [[_para(v, cell) for v in row] for row in _obligation_rows(doc)]
    table = Table(rows, colWidths=[22 * mm, 22 * mm, 50 * mm, 22 * mm, 28 * mm, 26 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 4 * mm),
        _para(_copies(doc), body),
        _para(LABELS["confirmation"], body),
    ]
    story.append(Spacer(1, 8 * mm))
    story += [
        _para(f"{LABELS['party_sign']}{p.role} {p.name}  ______________", body) for p in doc.parties
    ]
    story.append(
        _para(f"{LABELS['mediator_sign']}{'、'.join(doc.mediators)}  ______________", body)
    )
    story.append(Spacer(1, 10 * mm))
    right = _style(11, align=2)
    story += [
        _para(doc.committee, right),
        _para(LABELS["seal"], right),
        _para(_day(doc.effective_on), right),
    ]
    pdf.build(story)
    return out.getvalue()
