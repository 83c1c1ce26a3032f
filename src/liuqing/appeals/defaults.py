"""The default category tree of appeals: what rural residents ask the border police for.

Two levels, names in Chinese as data (categories are configuration: staff rename, add and
retire them on the category pages). Service levels are per category: `resolve` working days,
and first contact within `contact` working hours where the matter cannot wait. A category
that "needs a location" cannot be recorded without a place or a map pin.

`ensure_default_categories` is shared by the data migration (with the historical model) and
the demo; it only adds what is missing, so running it twice changes nothing and it never
overwrites a category an administrator has edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KIND = "appeal"


@dataclass(frozen=True)
class Default:
    code: str
    name: str
    parent: str = ""
    resolve: int | None = None  # working days
    contact: int | None = None  # working hours
    location: bool = False


DEFAULT_CATEGORIES: tuple[Default, ...] = (
    Default("farm", "农牧生产", resolve=10),
    Default("farm.pens", "牲畜圈舍", "farm", resolve=10, location=True),
    Default("farm.lost_livestock", "牲畜走失", "farm", resolve=5, contact=4, location=True),
    Default("farm.irrigation", "水渠灌溉", "farm", resolve=7, location=True),
    Default("farm.pasture", "草场边界", "farm", resolve=15, location=True),
    Default("infra", "基础设施", resolve=15),
    Default("infra.street_lights", "路灯照明", "infra", resolve=10, location=True),
    Default("infra.roads", "道路维修", "infra", resolve=20, location=True),
    Default("infra.drinking_water", "饮用水", "infra", resolve=5, contact=8, location=True),
    Default("infra.heating", "冬季供暖", "infra", resolve=5, contact=8, location=True),
    Default("livelihood", "劳动与证件", resolve=10),
    Default("livelihood.wages", "拖欠工资", "livelihood", resolve=15),
    Default("livelihood.household", "户籍证件", "livelihood", resolve=10),
    Default("livelihood.border_pass", "边境通行证", "livelihood", resolve=5),
    Default("neighbourhood", "邻里与治安", resolve=7),
    Default("neighbourhood.noise", "邻里噪音", "neighbourhood", resolve=5),
    Default("neighbourhood.stray_dogs", "流浪犬只", "neighbourhood", resolve=7, location=True),
    Default("neighbourhood.safety", "治安隐患", "neighbourhood", resolve=5, location=True),
    Default("other", "其他", resolve=10),
    Default("other.general", "其他诉求", "other"),
)


def ensure_default_categories(category_model: Any) -> int:
    """Create the default categories that do not exist yet (by kind and code); returns how
    many were created. `category_model` is casework's Category (or its historical model)."""
    existing = dict(
        category_model.objects.filter(kind=KIND).values_list("code", "pk")  # code → pk
    )
    created = 0
    for order, item in enumerate(DEFAULT_CATEGORIES):
        if item.code in existing:
            continue
        row = category_model.objects.create(
            kind=KIND,
            code=item.code,
            name=item.name,
            parent_id=existing.get(item.parent) if item.parent else None,
            resolve_days=item.resolve,
            contact_hours=item.contact,
            needs_location=item.location,
            is_public=True,
            is_active=True,
            order=order,
        )
        existing[item.code] = row.pk
        created += 1
    return created
