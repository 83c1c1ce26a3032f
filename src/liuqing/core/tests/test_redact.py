"""Redaction of public free text: what is masked, what is left alone, and that it is stable.

These tests need no database and no Django: `redact` is a pure function.
"""

from __future__ import annotations

import random
import re

import pytest

from liuqing.core.redact import contains_personal_data, mask_name, redact

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """A checksum-valid identity number (GB 11643) from its first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def luhn(prefix: str) -> str:
    """A Luhn-valid card number: `prefix` plus its check digit."""
    for check in "0123456789":
        number = prefix + check
        digits = [int(c) for c in reversed(number)]
        total = sum(
            d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits)
        )
        if total % 10 == 0:
            return number
    raise AssertionError


ID = id_number("65400119900307123")  # Ürümqi, born 1990-03-07
ID_X = next(n for n in (id_number(f"65400119850612{k:03d}") for k in range(999)) if n[-1] == "X")
TYPO = ID[:17] + ("0" if ID[17] != "0" else "1")  # wrong check digit
CARD = luhn("622202123456789012")  # 19 digits
CARD16 = luhn("411111111111111")
NAMES = ("艾力·买买提", "王建军", "Gulnar", "欧阳娜娜", "گۈلنار تۇرسۇن")


def test_the_fixtures_are_what_they_claim() -> None:
    assert len(ID) == len(ID_X) == 18
    assert ID_X.endswith("X")
    assert id_number(TYPO[:17]) != TYPO
    assert len(CARD) == 19
    assert len(CARD16) == 16


MASKED = [
    # identity-card numbers
    (f"身份证号{ID}。", f"身份证号{ID[:4]}**********{ID[-4:]}。"),
    (f"身份证号 {ID[:6]} {ID[6:14]} {ID[14:]}", f"身份证号 {ID[:4]}**********{ID[-4:]}"),
    (f"{ID[:6]}-{ID[6:10]}-{ID[10:14]}-{ID[14:]}", f"{ID[:4]}**********{ID[-4:]}"),
    (
        f"{ID[:4]} {ID[4:8]} {ID[8:12]} {ID[12:16]} {ID[16:]}",
        f"{ID[:4]}**********{ID[-4:]}",
    ),
    (f"证件{ID_X}号", f"证件{ID_X[:4]}**********{ID_X[-4:]}号"),
    (f"证件{ID_X[:-1]}x", f"证件{ID_X[:4]}**********{ID_X[-4:-1]}x"),
    # a typo in the check digit is still somebody's number
    (f"ID {TYPO}", f"ID {TYPO[:4]}**********{TYPO[-4:]}"),
    ("旧证号340524800101001", "旧证号3405*******1001"),
    # mobiles
    ("电话13812345678", "电话138****5678"),
    ("电话 138 1234 5678。", "电话 138****5678。"),
    ("电话138-1234-5678", "电话138****5678"),
    ("+86 138 1234 5678", "+86 138****5678"),
    ("+86-13812345678", "+86-138****5678"),
    ("(+86)13812345678", "(+86)138****5678"),
    ("008613812345678", "0086138****5678"),
    ("８６１３８１２３４５６７８", "86138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("tel:13812345678,13998765432", "tel:138****5678,139****5432"),
    ("2026-03-01 13812345678", "2026-03-01 138****5678"),
    # landlines with an area code
    ("值班电话0999-8123456", "值班电话0999-****456"),
    ("值班电话(0999)8123456", "值班电话(0999)****456"),
    ("（0999）8123456", "（0999）****456"),
    ("010-62345678", "010-*****678"),
    ("0991 4123 4567", "0991 *****567"),
    ("09998123456", "0999****456"),
    ("0999-8123456转801", "0999-****456转801"),
    # bank cards
    (f"工资卡{CARD}", f"工资卡{CARD[:4]}***********{CARD[-4:]}"),
    (
        f"卡号 {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}",
        f"卡号 {CARD[:4]}***********{CARD[-4:]}",
    ),
    (f"Visa {CARD16}", f"Visa {CARD16[:4]}********{CARD16[-4:]}"),
    # e-mail
    ("邮箱wangjj@163.com。", "邮箱w***@163.com。"),
    ("mail: gulnar.t+x@example.org.cn", "mail: g***@example.org.cn"),
    ("QQ邮箱12345678＠qq.com", "QQ邮箱1***＠qq.com"),
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_it_masks_numbers_and_addresses(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert contains_personal_data(text)
    assert not contains_personal_data(expected)


NAMED = [
    ("艾力·买买提反映羊圈倒塌", "艾*·买**反映羊圈倒塌"),
    ("艾力•买买提、艾力.买买提、艾力买买提", "艾*•买**、艾*.买**、艾*买**"),
    ("艾力说，买买提家的羊圈", "艾*说，买**家的羊圈"),
    ("王建军反映，建军家的水渠堵了", "王**反映，建*家的水渠堵了"),
    ("欧阳娜娜；欧阳女士；老欧阳", "欧***；欧*女士；老欧*"),
    ("Gulnar said gulnar's GULNAR", "G***** said g*****'s G*****"),
    ("گۈلنار تۇرسۇن ۋە گۈلنارنىڭ ئۆيى", "گ***** ت***** ۋە گ*****نىڭ ئۆيى"),
    ("王建军（电话13812345678）", "王**（电话138****5678）"),
    ("羊圈گۈلنار王建军Gulnar水渠", "羊圈گ*****王**G*****水渠"),
]


@pytest.mark.parametrize(("text", "expected"), NAMED)
def test_it_masks_the_names_of_recorded_parties(text: str, expected: str) -> None:
    assert redact(text, names=NAMES) == expected
    assert contains_personal_data(text, names=NAMES)


LEFT_ALONE = [
    "补发工资3000元，另付1,234,567.89元",
    "受理日期2026-03-01，办结日期2026年3月15日 10:30",
    "2026-03-01T10:30:00+08:00",
    "案件编号SQ-2026-000123，关联SQ-2025-012345",
    "坐标87.6177, 43.7928；精度43.13812345678",
    "E87°36′36″ N43°47′34″",
    "羊圈3间，面积120.5平方米，共15户",
    "报警请拨110，热线12345，服务电话400-123-4567",
    "统计期间2024-2026年，办结率93.72%",
    "订单号20260301123456",
    "王先生、老王、王某反映的问题已解决",  # single-character surnames with a title stay
    "Gulnara and Ali went to the market",  # other names, not the recorded party
    "",
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_it_leaves_ordinary_text_and_numbers_alone(text: str) -> None:
    assert redact(text, names=NAMES) == text
    assert not contains_personal_data(text, names=NAMES)


def test_mixed_chinese_and_uyghur_text() -> None:
    text = (
        f"艾力·买买提（身份证{ID}，手机+86 139 9876 5432）反映：ئېلىپ بېرىلدى 羊圈倒塌。"
        f"گۈلنار تۇرسۇن ھەققىدە: 0999-8123456。邮箱 ali.m@example.com"
    )
    assert redact(text, names=NAMES) == (
        f"艾*·买**（身份证{ID[:4]}**********{ID[-4:]}，手机+86 139****5432）反映："
        "ئېلىپ بېرىلدى 羊圈倒塌。"
        "گ***** ت***** ھەققىدە: 0999-****456。邮箱 a***@example.com"
    )


def test_empty_and_one_character_names_are_ignored() -> None:
    assert redact("王先生说好", names=["", "  ", "王"]) == "王先生说好"


def test_mask_name_masks_each_part() -> None:
    assert mask_name("王建军") == "王**"
    assert mask_name("艾力·买买提") == "艾*·买**"
    assert mask_name("Gulnar Tursun") == "G***** T*****"
    assert mask_name("Gulnar") == "G*****"


# --- Property: a deterministic fuzz loop --------------------------------------------------

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def _valid_id(candidate: str) -> bool:
    year, month, day = int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14])
    if not (1900 <= year <= 2026 and 1 <= month <= 12 and 1 <= day <= 28):
        return False
    return id_number(candidate[:17]) == candidate[:17] + candidate[17].upper()


def _surviving(text: str) -> list[str]:
    found = []
    for m in _MOBILE.finditer(text):
        before, after = text[max(0, m.start() - 2) : m.start()], text[m.end() : m.end() + 2]
        # A digit group that is part of a decimal number is left alone by design.
        decimal = (len(before) == 2 and before[1] in ".．" and before[0].isdigit()) or (
            len(after) == 2 and after[0] in ".．" and after[1].isdigit()
        )
        if not decimal:
            found.append(m.group())
    found.extend(m.group() for m in _ID18.finditer(text) if _valid_id(m.group()))
    return found


def _fragments(rng: random.Random) -> list[str]:
    first17 = (
        rng.choice(["11", "31", "44", "65", "54"])
        + f"{rng.randrange(10000):04d}"
        + f"{rng.randrange(1930, 2020)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
        + f"{rng.randrange(1000):03d}"
    )
    ident = id_number(first17)
    mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    return [
        ident,
        f"{ident[:6]} {ident[6:14]} {ident[14:]}",
        mobile,
        f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        f"+86 {mobile}",
        f"0{rng.randrange(900, 1000)}-{rng.randrange(2000000, 9999999)}",
        luhn(f"62{rng.randrange(10**16):016d}"),
        str(rng.randrange(10**rng.randrange(1, 20))),
        f"{rng.randrange(2000, 2030)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        f"SQ-2026-{rng.randrange(10**6):06d}",
        f"{rng.uniform(-90, 90):.{rng.randrange(1, 15)}f}",
        "羊圈", "水渠", "王建军", "艾力·买买提", "Gulnar", "گۈلنار", "ئۆي", "元", "X", "x",
        "a@b.cn", "user.name@example.com",
        " ", "  ", "-", "—", "·", ".", ",", "，", "(", ")", "（", "）", "+", "\n", "*",
    ]  # fmt: skip


def test_redaction_is_stable_and_leaves_no_mobile_or_identity_number() -> None:
    rng = random.Random(20260301)
    for _ in range(3000):
        pieces = _fragments(rng)
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        once = redact(text, names=NAMES)
        assert redact(once, names=NAMES) == once, text
        assert _surviving(once) == [], (text, once)
        assert not contains_personal_data(once, names=NAMES)
        # Redaction only ever hides: it never lengthens the text by more than e-mail stars.
        assert once.count("*") >= text.count("*")
