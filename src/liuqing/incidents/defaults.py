"""The eight default incident categories (KPIS.md): codes are stable, names may be edited.

`ensure_default_categories` is shared by the data migration (with the historical model), the
demo and the tests; it only adds what is missing, so running it twice changes nothing and it
never overwrites a category an administrator has edited.
"""

from __future__ import annotations

from typing import Any

DEFAULTS = [
    ("criminal", "刑事", 10),
    ("public_order", "治安", 20),
    ("telecom_fraud", "电信诈骗", 30),
    ("traffic", "交通", 40),
    ("dispute", "纠纷", 50),
    ("help_rescue", "求助救援", 60),
    ("fire", "火灾", 70),
    ("other", "其他", 80),
]


def ensure_default_categories(model: Any = None) -> int:
    """Create the default categories that do not exist yet; the number created."""
    if model is None:
        from liuqing.incidents.models import IncidentCategory

        model = IncidentCategory
    existing = set(model.objects.values_list("code", flat=True))
    missing = [
        model(code=code, name=name, order=order)
        for code, name, order in DEFAULTS
        if code not in existing
    ]
    model.objects.bulk_create(missing)
    return len(missing)
