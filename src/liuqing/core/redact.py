"""Redaction of free text before it reaches a public page, a public feed or a printed notice.

Officers write public summaries by hand and sometimes paste in what they should not: a phone
number, an identity-card number, a bank card for a wage claim, the name of the resident. This
module is the net under that: `redact()` masks those patterns wherever they appear, in the
same style as `core.pii` (`6540**********1234`, `138****1234`, `王**`), and leaves ordinary
numbers alone (amounts, dates, case numbers such as SQ-2026-000123, coordinates).

What is masked:

- identity-card numbers: 18 characters (17 digits and a digit or X) and the old 15-digit form,
  unbroken or written in groups with spaces or dashes, when the region code and the birth date
  inside are plausible (a checksum typo is still masked: it is still someone's number);
- mobile numbers (1[3-9] and 9 more digits), with or without +86 / 0086, in groups or not;
- landlines with an area code (0999-8123456, (010) 12345678, 09998123456);
- bank cards: 16 to 19 digits that pass the Luhn check, unbroken or in groups of four;
- e-mail addresses (the local part; the domain stays);
- the names passed in `names`: the whole name, each part of a name written with "·"
  (艾力·买买提 → 艾*·买**), the given name alone (王建军 → 建军 → 建*), and a compound family
  name with a title (欧阳女士 → 欧*女士). A single-character family name with a title (王先生,
  老王, 王某) is the conventional anonymous form of a public notice and stays as it is.

Digits are read in any script (full-width １３８… included). A digit group that is the
integer or fractional part of a decimal number (87.61771381234, 3.5) is left alone when it is
shorter than 16 digits, so coordinates and amounts never turn into phone numbers.

`redact()` is idempotent: it runs its passes until the text no longer changes, so
`redact(redact(x)) == redact(x)` always holds. `contains_personal_data()` is the canary check
built on the same rules.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["contains_personal_data", "mask_name", "redact"]


def _words(text: str) -> list[str]:
    return text.split()


# --- Numbers ---------------------------------------------------------------------------------

# Province-level region codes (the first two digits of an identity number), 83 = Taiwan
# residents' numbers issued on the mainland.
_PROVINCES = frozenset(
    _words("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61")
    + _words("62 63 64 65 71 81 82 83")
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# What may stand between two digit groups of one number: one or two spaces, a dash (with a
# space either side), or a closing bracket after an area code. Never a newline, a dot or a
# comma: those separate numbers (or make decimals and thousands).
_SP = "[ \u00a0\u3000]"
_DASH = "[-\u2010\u2011\u2012\u2013\u2014\uff0d]"
_SEP = rf"(?:{_SP}{{1,2}}|{_SP}?{_DASH}{_SP}?|[)\uff09]{_SP}?)"
_RUN = re.compile(rf"\d+(?:{_SEP}\d+)*")
_GROUP = re.compile(r"\d+")
_X = frozenset("XxＸｘ")
_DOTS = frozenset(".．")
_COUNTRY_CODES = ("0086", "86")
_MAX_CANDIDATE = 22  # the longest thing we look for: 0086 + 11 digits, with room for cards


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in text)


def _date_ok(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _region_ok(digits: str) -> bool:
    return digits[:2] in _PROVINCES or (digits[0] == "9" and digits[1:3] in _PROVINCES)


def _checksum_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _is_identity18(number: str, *, grouped: bool) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if not (number[17].isdigit() or number[17] in "Xx"):
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    if not (1900 <= year <= 2099 and _date_ok(year, month, day)):
        return False
    if _checksum_ok(number):
        return True
    # A checksum typo is still somebody's number, but a number pieced together from groups
    # must prove itself: otherwise "3000 2026 0301 ..." runs would look like identities.
    return not grouped and _region_ok(number)


def _is_identity15(number: str) -> bool:
    if len(number) != 15 or not _region_ok(number):
        return False
    return _date_ok(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _is_mobile(number: str) -> bool:
    return len(number) == 11 and number[0] == "1" and number[1] in "3456789"


def _landline_split(number: str) -> tuple[str, str] | None:
    """(area code, local number) for a Chinese landline with its area code, else None."""
    if len(number) < 10 or number[0] != "0" or number[1] == "0":
        return None
    area_len = 3 if number[1] == "1" or number[1] == "2" else 4
    area, local = number[:area_len], number[area_len:]
    if area_len == 3 and area[1] == "1" and area != "010":
        return None
    if len(local) not in (7, 8) or local[0] in "01" or (area_len == 3 and len(local) != 8):
        return None
    return area, local


def _mask_middle(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _mask_mobile(number: str) -> str:
    return number[:3] + "****" + number[-4:]


@dataclass(frozen=True)
class _Group:
    start: int  # offsets in the text
    end: int
    digits: str  # ASCII
    decimal: bool  # part of a decimal number such as 87.6177


def _classify(
    groups: list[_Group], text: str, *, x_after: bool, last_of_run: bool
) -> tuple[str, bool] | None:
    """The masked form of these groups read as one number, and whether it took a trailing X."""
    compact = "".join(g.digits for g in groups)
    grouped = len(groups) > 1
    if (
        x_after
        and last_of_run
        and len(compact) == 17
        and _is_identity18(compact + "X", grouped=grouped)
    ):
        return compact[:4] + "*" * 10 + compact[-3:] + text[groups[-1].end], True
    short_first = len(groups[0].digits) < 3
    if not short_first:
        if _is_identity18(compact, grouped=grouped):
            return _mask_middle(compact), False
        # Cards are written unbroken or in fours (6222 0212 3456 7890 123).
        in_fours = not grouped or all(len(g.digits) == 4 for g in groups[:-1])
        if 16 <= len(compact) <= 19 and in_fours and _luhn_ok(compact):
            return _mask_middle(compact), False
        if _is_identity15(compact):
            return _mask_middle(compact), False
        if _is_mobile(compact):
            return _mask_mobile(compact), False
        landline = _landline_split(compact)
        if landline:
            area, local = landline
            sep = ""
            if grouped and groups[0].digits == area:
                sep = text[groups[0].end : groups[1].start]
            return area + sep + "*" * (len(local) - 3) + local[-3:], False
    for cc in _COUNTRY_CODES:
        rest = compact[len(cc) :]
        if compact.startswith(cc) and _is_mobile(rest):
            sep = ""
            if grouped and groups[0].digits == cc:
                sep = text[groups[0].end : groups[1].start]
            return cc + sep + _mask_mobile(rest), False
    return None


def _redact_run(text: str, run: re.Match[str]) -> list[tuple[int, int, str]]:
    """Replacements (start, end, masked) for the numbers found in one run of digit groups."""
    base = run.start()
    groups = []
    for g in _GROUP.finditer(run.group()):
        start, end = base + g.start(), base + g.end()
        decimal = (start >= 2 and text[start - 1] in _DOTS and text[start - 2].isdigit()) or (
            end + 1 < len(text) and text[end] in _DOTS and text[end + 1].isdigit()
        )
        digits = _ascii_digits(g.group())
        groups.append(_Group(start, end, digits, decimal and len(digits) < 16))
    x_after = run.end() < len(text) and text[run.end()] in _X
    out: list[tuple[int, int, str]] = []
    i, n = 0, len(groups)
    while i < n:
        # A number may span several groups, but only through groups of three or more digits
        # (a country code excepted), so "2026-03-01 138..." never becomes one number.
        j_max, length = i, len(groups[i].digits)
        while j_max + 1 < n and length <= _MAX_CANDIDATE:
            head = groups[j_max].digits
            if len(head) < 3 and not (j_max == i and head in _COUNTRY_CODES):
                break
            j_max += 1
            length += len(groups[j_max].digits)
        found = None
        for j in range(j_max, i - 1, -1):
            span = groups[i : j + 1]
            if any(g.decimal for g in span) or sum(len(g.digits) for g in span) > _MAX_CANDIDATE:
                continue
            result = _classify(span, text, x_after=x_after, last_of_run=j == n - 1)
            if result:
                masked, took_x = result
                found = (groups[i].start, groups[j].end + (1 if took_x else 0), masked), j
                break
        if found:
            out.append(found[0])
            i = found[1] + 1
        else:
            i += 1
    return out


def _redact_numbers(text: str) -> str:
    replacements: list[tuple[int, int, str]] = []
    for run in _RUN.finditer(text):
        replacements.extend(_redact_run(text, run))
    if not replacements:
        return text
    pieces, pos = [], 0
    for start, end, masked in replacements:
        pieces.append(text[pos:start])
        pieces.append(masked)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


# --- E-mail ----------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)([@＠])([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)


def _mask_email(m: re.Match[str]) -> str:
    return m.group(1)[0] + "***" + m.group(2) + m.group(3)


# --- Names -----------------------------------------------------------------------------------

_NAME_SEPARATORS = "·•‧・･.．\u00a0\u3000 "
_NAME_SPLIT = re.compile(r"[·•‧・･.．\s]+")
_NAME_JOIN = r"(?:[·•‧・･.．]|[ \u00a0\u3000]{1,2})?"
_COMPOUND_SURNAMES = frozenset(
    _words("欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木")
    + _words("独孤 南宫 西门 呼延 澹台 公冶 申屠 太史 闻人 钟离 万俟 东郭 百里 赫连 淳于 濮阳")
    + _words("司空")
)
# Longer titles first: the alternation takes the first that fits ("某某" before "某").
_TITLES_AFTER = _words("先生 女士 小姐 同志 师傅 老师 大爷 大妈 大叔 大娘 大哥 大姐 阿姨")
_TITLES_AFTER += _words("奶奶 爷爷 老人 某某 某 家")
_TITLES_BEFORE = "老小阿"


def _is_cjk(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH"))


# Letters of one script, for word boundaries around names: Chinese runs straight into a
# Uyghur or Latin name ("羊圈گۈلنار", "王建军Gulnar") without a space.
_SCRIPT_LETTERS = {
    "LATIN": r"A-Za-z\u00c0-\u024f\u1e00-\u1eff",
    "ARABIC": r"\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff",
    "CYRILLIC": r"\u0400-\u052f",
}


def _script(ch: str) -> str:
    if ch.isascii():
        return "LATIN"
    return unicodedata.name(ch, "").split(" ")[0]


def _mask_part(part: str) -> str:
    return part[0] + "*" * (len(part) - 1)


def mask_name(name: str) -> str:
    """A name as public pages show it: first character of each part, then one * per character.

    "王建军" → "王**", "艾力·买买提" → "艾*·买**", "Gulnar Tursun" → "G***** T*****".
    """
    parts = [p for p in _NAME_SPLIT.split(name.strip()) if p]
    seps = _NAME_SPLIT.findall(name.strip())
    out = []
    for k, part in enumerate(parts):
        out.append(_mask_part(part))
        if k < len(seps):
            out.append(seps[k])
    return "".join(out)


@dataclass(frozen=True)
class _NameForm:
    parts: tuple[str, ...]


def _bounded(src: str, first: str, last: str) -> str:
    """A name pattern that does not start (or, in Latin script, end) inside another word."""
    if _is_cjk(first):
        return src
    # Letters of the same script must not run on before the name; Latin and Cyrillic names
    # must also end at a word boundary, while Uyghur and Kazakh (Arabic script) names take
    # suffixes (گۈلنارنىڭ, "Gulnar's").
    letters = _SCRIPT_LETTERS.get(_script(first))
    src = (rf"(?<![{letters}])" if letters else r"(?<![^\W\d_])") + src
    end = _SCRIPT_LETTERS.get(_script(last))
    if _script(last) in ("LATIN", "CYRILLIC"):
        src += rf"(?![{end}])"
    return src


def _name_forms(name: str) -> list[tuple[str, str, _NameForm]]:
    """(text for ordering, pattern, form) for each way a name may appear in free text."""
    parts = tuple(p for p in _NAME_SPLIT.split(name.strip()) if p)
    if not parts or sum(len(p) for p in parts) < 2:
        return []
    forms: list[tuple[str, str, _NameForm]] = []
    if len(parts) > 1:
        pattern = _bounded(_NAME_JOIN.join(map(re.escape, parts)), parts[0][0], parts[-1][-1])
        forms.append(("".join(parts), pattern, _NameForm(parts)))
        for part in parts:
            if len(part) >= 2:
                forms.append(
                    (part, _bounded(re.escape(part), part[0], part[-1]), _NameForm((part,)))
                )
        return forms
    (whole,) = parts
    forms.append((whole, _bounded(re.escape(whole), whole[0], whole[-1]), _NameForm((whole,))))
    if len(whole) >= 3 and all(_is_cjk(c) for c in whole):
        surname = whole[:2] if whole[:2] in _COMPOUND_SURNAMES else whole[:1]
        given = whole[len(surname) :]
        if len(given) >= 2:
            forms.append((given, re.escape(given), _NameForm((given,))))
        if len(surname) >= 2:
            titled = (
                rf"(?<=[{_TITLES_BEFORE}]){re.escape(surname)}"
                rf"|{re.escape(surname)}(?={'|'.join(_TITLES_AFTER)})"
            )
            forms.append((surname, titled, _NameForm((surname,))))
    return forms


@lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[_NameForm, ...]] | None:
    seen: set[str] = set()
    collected: list[tuple[str, str, _NameForm]] = []
    for name in names:
        for text, pattern, form in _name_forms(name):
            if pattern.casefold() not in seen:
                seen.add(pattern.casefold())
                collected.append((text, pattern, form))
    if not collected:
        return None
    # Longer names first, so "艾力·买买提" wins over its part "艾力" at the same position.
    collected.sort(key=lambda item: -len(item[0]))
    source = "|".join(f"(?P<n{k}>{pattern})" for k, (_, pattern, _) in enumerate(collected))
    return re.compile(source, re.IGNORECASE), tuple(form for _, _, form in collected)


def _mask_name_match(matched: str, parts: tuple[str, ...]) -> str:
    out, pos = [], 0
    for part in parts:
        while pos < len(matched) and matched[pos] in _NAME_SEPARATORS:
            out.append(matched[pos])
            pos += 1
        out.append(_mask_part(matched[pos : pos + len(part)]))
        pos += len(part)
    out.append(matched[pos:])
    return "".join(out)


def _redact_names(text: str, names: tuple[str, ...]) -> str:
    compiled = _names_pattern(names)
    if compiled is None:
        return text
    pattern, forms = compiled

    def replace(m: re.Match[str]) -> str:
        assert m.lastgroup is not None
        return _mask_name_match(m.group(), forms[int(m.lastgroup[1:])].parts)

    return pattern.sub(replace, text)


# --- Public functions ------------------------------------------------------------------------


def _one_pass(text: str, names: tuple[str, ...]) -> str:
    text = _EMAIL.sub(_mask_email, text)
    text = _redact_numbers(text)
    return _redact_names(text, names)


def redact(text: str, *, names: Iterable[str] = ()) -> str:
    """Mask personal data in free text meant for the public (see the module docstring).

    `names` are the recorded parties of the matter (applicant, other side, relatives); pass
    every name the record holds. Empty and one-character names are ignored. The result is a
    fixed point: redacting it again changes nothing.
    """
    if not text:
        return text
    name_key = tuple(sorted({n.strip() for n in names if n and n.strip()}))
    # Each changing pass turns at least one character into "*" (or drops a separator), so the
    # loop ends; in practice the second pass finds nothing.
    for _ in range(len(text) + 1):
        redacted = _one_pass(text, name_key)
        if redacted == text:
            break
        text = redacted
    return text


def contains_personal_data(text: str, names: Iterable[str] = ()) -> bool:
    """True when `redact()` would change the text: a canary check for public output."""
    return redact(text, names=names) != text
