"""The dispute types: the people's-mediation statistics categories, as casework categories of
kind "dispute" (names in Chinese as data). Everyday cases map onto them: grazing boundaries →
land and grassland, livestock eating crops → damage compensation, rent → contracts,
homesteads → housing and homestead, noise → neighbours, unpaid wages → labour and wages.

`ensure_default_types` is shared by the data migration (with the historical model), the demo
and the tests; it only adds what is missing.
"""

from __future__ import annotations

from typing import Any

KIND = "dispute"

DEFAULT_TYPES: tuple[tuple[str, str], ...] = (
    ("marriage_family", "婚姻家庭"),
    ("neighbours", "邻里"),
    ("housing_homestead", "房屋宅基地"),
    ("contracts", "合同"),
    ("production_business", "生产经营"),
    ("damage_compensation", "损害赔偿"),
    ("land_grassland", "山林土地"),
    ("land_acquisition", "征地拆迁"),
    ("environment", "环境污染"),
    ("labour_wages", "劳动争议"),
    ("consumer", "消费"),
    ("medical", "医疗"),
    ("road_traffic", "道路交通事故"),
    ("property_management", "物业"),
    ("other", "其他"),
)

# Everyday cases and the type they are counted under.
EVERYDAY: dict[str, str] = {
    "grazing_boundary": "land_grassland",
    "livestock_crops": "damage_compensation",
    "rent": "contracts",
    "homestead": "housing_homestead",
    "noise": "neighbours",
    "unpaid_wages": "labour_wages",
}


def ensure_default_types(category_model: Any = None) -> None:
    if category_model is None:
        from liuqing.casework.models import Category as category_model
    present = set(category_model.objects.filter(kind=KIND).values_list("code", flat=True))
    for order, (code, name) in enumerate(DEFAULT_TYPES):
        if code not in present:
            category_model.objects.create(
                kind=KIND, code=code, name=name, order=order, is_public=False
            )
