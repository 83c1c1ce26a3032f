from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from liuqing.core.schemas import Id, Text


class BoardQuery(Schema):
    unit: Id | None = Field(None, description="Default: your unit")
    period: Text = Field(
        "",
        max_length=40,
        description='"2025", "2025-06", "2025-Q2", "2025-H1" or "2025-01-05..2025-01-20"; '
        "default: this month",
    )


class BoardOut(Schema):
    unit: dict[str, Any]
    period: str
    year_before: str
    period_before: str
    as_of: dt.datetime
    sections: list[dict[str, Any]]
