"""Arabic-script text (Uyghur, Kazakh) for the reportlab PDFs of appeals.pdf.

reportlab draws code points one after another, left to right, and does not shape. So every
line is set here in four steps: break the logical text into lines that fit (measuring the
shaped words), shape each line with arabic-reshaper (letters become their isolated, initial,
medial or final presentation forms, U+FB50–U+FEFF), put it in visual order with python-bidi
(the Unicode bidirectional algorithm, base direction right-to-left for a right-to-left sheet),
then draw it as runs: Arabic-script runs in the vendored Noto Naskh Arabic (fonts/, SIL OFL
1.1, see fonts/OFL.txt), everything else (Chinese, digits, Latin) in the CJK font the caller
uses. Lines are broken before reordering, so a wrapped paragraph reads from its first line down.

Uyghur and Kazakh letters the reshaper does not know are added to its table: ە (U+06D5, AE)
takes the forms of ه, which it looks like isolated and final and which join the same way (to
the right only); Kazakh ٵ ٶ ٸ (U+0675, U+0676, U+0678) have no presentation forms in Unicode and
take those of their look-alikes أ ؤ ئ. The Kazakh high hamza ٴ (U+0674) does not join and is
printed as it is. Only the four obligatory lam-alef ligatures are made.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from arabic_reshaper import ArabicReshaper
from arabic_reshaper.letters import LETTERS_ARABIC
from arabic_reshaper.ligatures import LIGATURES
from bidi import get_display
from django.conf import settings
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

__all__ = [
    "ARABIC_FONT",
    "FONT_FILE",
    "BidiText",
    "draw_line",
    "has_arabic",
    "is_rtl_language",
    "runs",
    "shape",
    "visual_line",
]

FONT_FILE = Path(__file__).resolve().parent / "fonts" / "NotoNaskhArabic-Regular.ttf"
ARABIC_FONT = "LiuqingNotoNaskhArabic"


@functools.cache
def _arabic_font() -> str:
    """The Arabic font's name, registered with reportlab on first use (once per process):
    reading the font file is no work for start-up, nor for a sheet without Arabic script."""
    if ARABIC_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(ARABIC_FONT, str(FONT_FILE)))
    return ARABIC_FONT


# Arabic, Arabic Supplement, Arabic Extended-A, presentation forms A and B.
_ARABIC_RANGES = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
_ARABIC = re.compile(f"[{_ARABIC_RANGES}]")
# Directional marks, embeddings and isolates: they steer the bidi algorithm and are not drawn.
_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NUMBER = re.compile(r"(?<![\w-])[0-9][0-9*.:/\-]*[0-9](?![\w-])")


def is_rtl_language(lang: str | None) -> bool:
    """Whether `lang` (a BCP 47 tag or a Django language code) is written right to left, by
    Django's own rule (translation.get_language_bidi): its part before the first hyphen is in
    settings.LANGUAGES_BIDI ("kk" stands for kk-arab there), so a sheet and the page it came
    from agree on direction."""
    return (lang or "").lower().replace("_", "-").split("-")[0] in settings.LANGUAGES_BIDI


def has_arabic(text: str) -> bool:
    return _ARABIC.search(text) is not None


def _letters() -> dict[str, tuple[str, str, str, str]]:
    letters = dict(LETTERS_ARABIC)
    isolated_heh, _, _, final_heh = letters["\u0647"]
    letters["\u06d5"] = (isolated_heh, "", "", final_heh)  # ە AE (Uyghur, Kazakh)
    letters["\u0675"] = letters["\u0623"]  # ٵ high hamza alef  ~ أ
    letters["\u0676"] = letters["\u0624"]  # ٶ high hamza waw   ~ ؤ
    letters["\u0678"] = letters["\u0626"]  # ٸ high hamza yeh   ~ ئ
    return letters


_LAM_ALEF = {
    "ARABIC LIGATURE LAM WITH ALEF",
    "ARABIC LIGATURE LAM WITH ALEF WITH HAMZA ABOVE",
    "ARABIC LIGATURE LAM WITH ALEF WITH HAMZA BELOW",
    "ARABIC LIGATURE LAM WITH ALEF WITH MADDA ABOVE",
}


@functools.cache
def _reshaper() -> ArabicReshaper:
    """The reshaper with the Uyghur and Kazakh letters, made on first use (once per process)."""
    reshaper = ArabicReshaper(
        configuration={
            "delete_harakat": False,
            "support_ligatures": True,
            **{name: name in _LAM_ALEF for name, _forms in LIGATURES},
        }
    )
    reshaper.letters = _letters()
    return reshaper


def shape(text: str) -> str:
    """Contextual forms of the Arabic letters in `text`, still in logical order."""
    return str(_reshaper().reshape(text)) if has_arabic(text) else text


def _is_rtl_text(text: str) -> bool:
    """Whether the first strong character is right-to-left (the Unicode rule P2); text with
    no strong character counts as left-to-right."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def visual_line(line: str, *, rtl: bool) -> str:
    """One line, shaped and in visual (left-to-right drawing) order."""
    shaped = shape(line)
    if rtl or has_arabic(shaped):
        # A number written with separators (a masked phone 138****5678, a date, 0999-8123456)
        # keeps its own order: after an Arabic letter the bidi algorithm would take its
        # digit groups for separate Arabic numbers and print them right to left.
        shaped = _NUMBER.sub(lambda m: f"\u2066{m.group()}\u2069", shaped)
        shaped = str(get_display(shaped, base_dir="R" if rtl else "L"))
    return _CONTROLS.sub("", shaped)


def runs(visual: str, cjk_font: str) -> Iterator[tuple[str, str]]:
    """(font, text) pieces of a visual line: Arabic script in the Arabic font, the rest in
    the CJK font. Spaces stay with the run they are in."""
    current_font, start = "", 0
    for i, ch in enumerate(visual):
        if ch == " ":
            continue
        font = _arabic_font() if _ARABIC.match(ch) else cjk_font
        if font != current_font:
            if i > start and current_font:
                yield current_font, visual[start:i]
                start = i
            current_font = font
    if visual[start:]:
        yield current_font or cjk_font, visual[start:]


def _width(visual: str, cjk_font: str, size: float) -> float:
    return float(
        sum(pdfmetrics.stringWidth(text, font, size) for font, text in runs(visual, cjk_font))
    )


def draw_line(
    canv: Canvas,
    text: str,
    x: float,
    y: float,
    *,
    size: float,
    cjk_font: str,
    rtl: bool,
    align: str = "left",
) -> float:
    """Draw one line with its baseline at y: `align` "left" starts it at x, "right" ends it at
    x, "center" centres it on x. Returns its width."""
    visual = visual_line(text, rtl=rtl)
    width = _width(visual, cjk_font, size)
    if align == "right":
        x -= width
    elif align == "center":
        x -= width / 2
    for font, piece in runs(visual, cjk_font):
        canv.setFont(font, size)
        canv.drawString(x, y, piece)
        x += pdfmetrics.stringWidth(piece, font, size)
    return width


# A token is one CJK character (a line may break after any), a run of other non-space
# characters (a word), or a run of spaces.
_CJK = "\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+|[^\\S\n]+")


def break_lines(text: str, width: float, size: float, cjk_font: str) -> list[str]:
    """Greedy line breaking of logical text at spaces and between CJK characters; a word
    wider than the line is cut between characters. Explicit newlines are kept."""

    def measure(token: str) -> float:
        return _width(_CONTROLS.sub("", shape(token)), cjk_font, size)

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for token in _TOKEN.findall(paragraph):
            w = measure(token)
            if token.isspace():
                if line:
                    line, used = line + token, used + w
                continue
            if line.strip() and used + w > width:
                lines.append(line.rstrip())
                line, used = "", 0.0
            if w <= width:
                line, used = line + token, used + w
                continue
            for ch in token:  # a word wider than the line: cut it between characters
                cw = measure(ch)
                if line and used + cw > width:
                    lines.append(line.rstrip())
                    line, used = "", 0.0
                line, used = line + ch, used + cw
        lines.append(line.rstrip())
    return lines


class BidiText(Flowable):
    """A paragraph of plain text (no markup) set line by line as above. In a right-to-left
    sheet (`rtl`) the base direction is right-to-left and left alignment becomes right
    alignment; otherwise a paragraph whose first strong letter is Arabic script is set
    right-to-left and right-aligned on its own."""

    def __init__(self, text: str, style: Any, *, rtl: bool) -> None:
        super().__init__()
        self.text = text
        self.size = float(style.fontSize)
        self.leading = float(style.leading)
        self.color = style.textColor
        self.cjk_font = style.fontName
        self.rtl = rtl or _is_rtl_text(text)
        alignment = style.alignment
        if self.rtl and alignment in (TA_LEFT, TA_RIGHT):
            alignment = TA_RIGHT if alignment == TA_LEFT else TA_LEFT
        self.align = {TA_CENTER: "center", TA_RIGHT: "right"}.get(alignment, "left")
        self.lines: list[str] = []
        self.spaceBefore = getattr(style, "spaceBefore", 0)
        self.spaceAfter = getattr(style, "spaceAfter", 0)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.lines = break_lines(self.text, availWidth, self.size, self.cjk_font)
        self.width = availWidth
        self.height = len(self.lines) * self.leading
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        canv.saveState()
        canv.setFillColor(self.color)
        x = {"left": 0.0, "right": self.width, "center": self.width / 2}[self.align]
        # The baseline sits a little below the middle of the line box, leaving room for
        # Naskh's ascenders above and descenders below.
        drop = (self.leading + self.size) / 2 - self.size * 0.22
        for i, line in enumerate(self.lines):
            y = self.height - i * self.leading - drop
            draw_line(
                canv,
                line,
                x,
                y,
                size=self.size,
                cjk_font=self.cjk_font,
                rtl=self.rtl,
                align=self.align,
            )
        canv.restoreState()
