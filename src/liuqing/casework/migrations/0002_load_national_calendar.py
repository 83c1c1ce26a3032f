"""Load the national holiday schedule of 2004-2026 (data/cn_calendar.csv, extracted from
chinesecalendar 1.11.0, MIT; see data/LICENSE-chinesecalendar.txt).

Self-contained on purpose (historical models, no import of app code), so that it keeps working
whatever later versions of the calendar services look like. Idempotent: a year already present
is left alone. Reversing removes only the years this migration wrote (source unchanged).
"""

import csv
import datetime as dt
from pathlib import Path

from django.db import migrations
from django.utils import timezone

SOURCE = "chinesecalendar 1.11.0"
FILE = Path(__file__).resolve().parent.parent / "data" / "cn_calendar.csv"


def load(apps, schema_editor):
    CalendarDay = apps.get_model("casework", "CalendarDay")
    CalendarYear = apps.get_model("casework", "CalendarYear")
    with FILE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_year = {}
    for row in rows:
        day = dt.date.fromisoformat(row["date"])
        by_year.setdefault(day.year, []).append((day, row["is_workday"] == "1", row["name"]))
    existing = set(CalendarYear.objects.values_list("year", flat=True))
    now = timezone.now()
    for year, days in sorted(by_year.items()):
        if year in existing:
            continue
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, is_workday=w, name=n) for d, w, n in days]
        )
        CalendarYear.objects.create(year=year, source=SOURCE, entered_at=now)


def unload(apps, schema_editor):
    CalendarDay = apps.get_model("casework", "CalendarDay")
    CalendarYear = apps.get_model("casework", "CalendarYear")
    years = list(CalendarYear.objects.filter(source=SOURCE).values_list("year", flat=True))
    for year in years:
        CalendarDay.objects.filter(date__year=year).delete()
    CalendarYear.objects.filter(year__in=years).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
