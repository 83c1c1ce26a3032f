"""The written agreement as DOCX and PDF: the files open and hold the content the People's
Mediation Law requires (parties, facts, disputed matters, responsibilities, agreed content,
method and deadline of performance, signature lines, the committee's seal area)."""

from __future__ import annotations

import io
import re

from django.test import Client
from docx import Document

from liuqing.core.audit import AuditEvent
from liuqing.core.models import Role
from liuqing.core.testing import World, login_verified
from liuqing.mediation.documents import agreement_doc, render_docx, render_pdf
from liuqing.mediation.testing import agreed

REQUIRED = [
    "人民调解协议书",
    "申请人：王建军",
    "被申请人：艾力·买买提",
    "纠纷主要事实",
    "被申请人改建院墙时排水沟堵塞",
    "争议事项",
    "损失赔偿及排水沟改建。",
    "各方当事人的责任",
    "被申请人负主要责任。",
    "经调解，各方当事人自愿达成如下协议",
    "被申请人赔偿申请人损失",
    "履行方式和期限",
    "赔偿院墙损失",
    "2,000.00",
    "现金一次付清",
    "当事人（签名、盖章或按指印）",
    "人民调解员（签名）",
    "人民调解委员会（印章）",
    "本协议一式3份",
]


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        ch = raw[i]
        if ch != 0x5C:
            out.append(ch)
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            nxt = raw[i + 1 : i + 2]
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(nxt, nxt)
            i += 2
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """The text layer of an uncompressed reportlab PDF (STSong-Light writes UTF-16BE)."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S):
            text.append(_unescape(s).decode("utf-16-be", "replace"))
    return "".join(text)


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_the_docx_holds_the_required_content(world: World) -> None:
    case, agreement = agreed(world.units["S1"])
    text = docx_text(render_docx(agreement_doc(agreement)))
    for needle in [*REQUIRED, agreement.number, case.dispute.committee.name]:
        assert needle in text, needle
    assert "11010519491231002X" not in text  # the identity number is masked
    assert "1101**********002X" in text


def test_the_pdf_holds_the_required_content(world: World) -> None:
    case, agreement = agreed(world.units["S1"])
    pdf = render_pdf(agreement_doc(agreement), compress=False)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf).replace(" ", "")
    for needle in [*REQUIRED, agreement.number, case.dispute.committee.name]:
        assert needle.replace(" ", "") in text, needle
    assert "13912345678" not in text


def test_downloads_are_attachments_and_audited(world: World) -> None:
    case, agreement = agreed(world.units["S1"])
    client = login_verified(Client(), world.persona(Role.OFFICER))
    for fmt, magic in (("docx", b"PK"), ("pdf", b"%PDF")):
        response = client.get(f"/mediation/{case.pk}/agreements/{agreement.pk}/document.{fmt}")
        assert response.status_code == 200
        assert response.content.startswith(magic)
        assert response["Content-Disposition"].startswith("attachment;")
    assert AuditEvent.objects.filter(action="dispute.agreement_document").count() == 2
    bad = client.get(f"/mediation/{case.pk}/agreements/{agreement.pk}/document.exe")
    assert bad.status_code == 404
