"""Regenerate cn_calendar.csv from the chinesecalendar package (not a runtime dependency).

    python3 -m venv /tmp/cc && /tmp/cc/bin/pip install chinesecalendar==1.11.0
    /tmp/cc/bin/python src/liuqing/casework/data/generate_cn_calendar.py > \
        src/liuqing/casework/data/cn_calendar.csv

Only the days that differ from the plain week are written: public holidays that fall on a
weekday (off) and make-up working days (调休) that fall on a weekend (on). A holiday on a
Saturday or Sunday changes nothing, so it is left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys

import chinese_calendar
from chinese_calendar import constants

FIRST, LAST = 2004, 2026


def chinese_name(english: str) -> str:
    for holiday in constants.Holiday:
        if holiday.value == english:
            return str(holiday.chinese)
    raise KeyError(english)


def rows() -> list[tuple[dt.date, bool, str]]:
    result: list[tuple[dt.date, bool, str]] = []
    for day, name in constants.holidays.items():
        if FIRST <= day.year <= LAST and day.weekday() < 5:
            assert not chinese_calendar.is_workday(day)
            result.append((day, False, chinese_name(name)))
    for day, name in constants.workdays.items():
        if FIRST <= day.year <= LAST and day.weekday() >= 5:
            assert chinese_calendar.is_workday(day)
            result.append((day, True, chinese_name(name)))
    return sorted(result)


def main() -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["date", "is_workday", "name"])
    for day, is_workday, name in rows():
        writer.writerow([day.isoformat(), "1" if is_workday else "0", name])


if __name__ == "__main__":
    main()
