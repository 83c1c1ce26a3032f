"""Access policies of incidents, registered once from IncidentsConfig.ready().

* ``incident``: incidents are seen in the jurisdiction of their unit by officers and up
  (officers, sergeants, station chiefs, brigade and detachment staff) and analysts; auxiliary
  officers, grid workers and mediators do not see the ledger. Analysts, station chiefs,
  brigade and detachment staff import and push them (officers and sergeants record
  one incident reported in person, `services.report_incident`); the auditor reads; the system
  administrator sees none (`resident_data`: the descriptions are about residents' lives).
* ``incident_category``: the categories and the source-category mappings are national
  configuration without a unit: the same roles view, the importers change the mappings.
* ``incident_category_set``: the set of categories itself (add one, rename it, order it,
  disable it) is the detachment's configuration of every map, trend and import: the
  ledger's viewers and the system administrator see it, detachment staff and the system
  administrator change it (as the working-day calendar). No resident data.
"""

from __future__ import annotations

from liuqing.core.access import Policy, register
from liuqing.core.models import Role
from liuqing.incidents.models import (
    CategoryMapping,
    Incident,
    IncidentCategory,
    PatrolLog,
    PatrolPlan,
    TouristSeason,
)

INCIDENT = "incident"
INCIDENT_CATEGORY = "incident_category"

VIEWERS = frozenset(
    {
        Role.OFFICER,
        Role.SERGEANT,
        Role.STATION_CHIEF,
        Role.BRIGADE_STAFF,
        Role.DETACHMENT_STAFF,
        Role.ANALYST,
    }
)
IMPORTERS = frozenset({Role.ANALYST, Role.STATION_CHIEF, Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF})
# One incident reported in person (a walk-in at the reception desk): the officers and
# sergeants who staff the desk record it in their own jurisdiction, besides the importers.
# Not a policy of its own: the ledger's import and push stay with IMPORTERS.
REPORTERS = IMPORTERS | frozenset({Role.OFFICER, Role.SERGEANT})

register(Policy(kind=INCIDENT, model=Incident, view=VIEWERS, change=IMPORTERS, resident_data=True))
register(
    Policy(
        kind=INCIDENT_CATEGORY,
        model=CategoryMapping,
        view=VIEWERS,
        change=IMPORTERS,
        unit_field="",
        resident_data=True,
        extra={"global": True},
    )
)

INCIDENT_CATEGORY_SET = "incident_category_set"
CATEGORY_ADMINS = frozenset({Role.DETACHMENT_STAFF, Role.SYSADMIN})
register(
    Policy(
        kind=INCIDENT_CATEGORY_SET,
        model=IncidentCategory,
        view=VIEWERS | {Role.SYSADMIN},
        change=CATEGORY_ADMINS,
        unit_field="",
        extra={"global": True},  # no owning unit: only access.can() applies
    )
)

# Patrols (incidents.patrols): plans are seen by the ledger's viewers and made by station
# chiefs and brigade and detachment staff; logs are written by those who patrol (officers and
# sergeants too) and by their chiefs. Place-based records without resident data.
PATROL_PLAN = "patrol_plan"
PATROL_LOG = "patrol_log"
PLANNERS = frozenset({Role.STATION_CHIEF, Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF})
PATROLLERS = frozenset(
    {
        Role.OFFICER,
        Role.SERGEANT,
        Role.STATION_CHIEF,
        Role.BRIGADE_STAFF,
        Role.DETACHMENT_STAFF,
    }
)

register(Policy(kind=PATROL_PLAN, model=PatrolPlan, view=VIEWERS, change=PLANNERS))
register(Policy(kind=PATROL_LOG, model=PatrolLog, view=VIEWERS, change=PATROLLERS))

# Tourist seasons (incidents.seasons): the months of a unit's or a scenic place's season for
# the seasonal view; seen by the ledger's viewers, set by those who import and analyse it.
TOURIST_SEASON = "tourist_season"
register(Policy(kind=TOURIST_SEASON, model=TouristSeason, view=VIEWERS, change=IMPORTERS))
