"""The problem categories of liaison and their deadlines (working days)."""

from __future__ import annotations

from typing import Any

from liuqing.liaison.workflow import LIAISON_PROBLEM

CATEGORIES = [
    ("labour_dispute", "劳资纠纷", 15),
    ("safety_hazard", "安全隐患", 5),
    ("residence_permit", "居住证办理", 10),
    ("security_system", "技防设施", 20),
]


def ensure_default_categories(category_model: Any = None) -> None:
    """Create the four categories if missing (the data migration and tests call it)."""
    if category_model is None:
        from liuqing.casework.models import Category as category_model
    for order, (code, name, days) in enumerate(CATEGORIES):
        category_model.objects.get_or_create(
            kind=LIAISON_PROBLEM,
            code=code,
            defaults={"name": name, "resolve_days": days, "order": order, "is_public": False},
        )
