"""What Open311 says about each service beyond its category: the extra questions of its
service definition (attributes) and its type (realtime or batch), keyed by category code.

A category matches its own code first, then its parents' codes, so a child category inherits
its parent's questions. Categories not listed are realtime services without attributes
(`metadata` false). Descriptions are English, the API's one language (see errors.py).

The answers are kept with the request (the data of the case's first timeline entry), for
the officers; they never leave through a public page, and the API gives them back only to the
client that sent them (`extensions=true` with its api_key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from liuqing.casework.models import Category

from .wire import AttributeValue, ServiceAttribute, ServiceDefinition

__all__ = ["SERVICES", "ServiceSpec", "definition_for", "spec_for"]

TAGS = ServiceAttribute(
    code="tags",
    datatype="multivaluelist",
    description="Anything else that applies",
    order=90,
    required=False,
    datatype_description="Any number of the listed keys",
    values=(
        AttributeValue("urgent", "Getting worse quickly"),
        AttributeValue("recurring", "Has happened before"),
        AttributeValue("night", "Happens at night"),
        AttributeValue("vulnerable", "Affects an elderly, sick or disabled resident"),
    ),
)
LIVESTOCK_COUNT = ServiceAttribute(
    code="livestock_count",
    datatype="number",
    description="How many animals are missing",
    order=10,
    required=True,
    datatype_description="A whole number",
)
LIVESTOCK_KIND = ServiceAttribute(
    code="livestock_kind",
    datatype="singlevaluelist",
    description="Which animals",
    order=20,
    required=False,
    values=(
        AttributeValue("sheep", "Sheep"),
        AttributeValue("goats", "Goats"),
        AttributeValue("cattle", "Cattle"),
        AttributeValue("horses", "Horses"),
        AttributeValue("camels", "Camels"),
        AttributeValue("other", "Other"),
    ),
)
LAST_SEEN = ServiceAttribute(
    code="last_seen",
    datatype="datetime",
    description="When they were last seen",
    order=30,
    required=False,
)


@dataclass(frozen=True)
class ServiceSpec:
    attributes: tuple[ServiceAttribute, ...] = ()
    type: Literal["realtime", "batch", "blackbox"] = "realtime"


SERVICES: dict[str, ServiceSpec] = {
    # 牲畜走失: the count tells the station how big a search to organise.
    "farm.lost_livestock": ServiceSpec(
        attributes=(LIVESTOCK_COUNT, LIVESTOCK_KIND, LAST_SEEN, TAGS)
    ),
    "neighbourhood.noise": ServiceSpec(attributes=(TAGS,)),
    "neighbourhood.safety": ServiceSpec(attributes=(TAGS,)),
    "infra.street_lights": ServiceSpec(attributes=(TAGS,)),
    # 户籍证件: the household-registration desk takes these in batches, so a client gets a
    # token that resolves to the request id once the desk accepts the request.
    "livelihood.household": ServiceSpec(type="batch"),
}
DEFAULT = ServiceSpec()


def spec_for(category: Category) -> ServiceSpec:
    """The category's spec, or its nearest listed parent's (parents must be loaded with
    select_related for a query-free answer on one level)."""
    seen = 0
    current: Category | None = category
    while current is not None and seen < 10:
        found = SERVICES.get(current.code)
        if found is not None:
            return found
        current = current.parent
        seen += 1
    return DEFAULT


def definition_for(category: Category) -> ServiceDefinition:
    return ServiceDefinition(service_code=category.code, attributes=spec_for(category).attributes)
