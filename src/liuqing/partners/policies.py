"""Access policies of partners and alerts, registered from PartnersConfig.ready().

* ``partner``: the registry is residents' data (phone numbers): officers, auxiliaries,
  sergeants and chiefs of the unit's jurisdiction see it; officers and up change it (pause a
  partner). The system administrator sees none.
* ``partner_group``: the same viewers; sergeants and chiefs run groups (create, new code).
* ``alert``: every operational role sees the jurisdiction's alerts; officers, sergeants and
  chiefs draft and issue them, update, cancel and resolve them.
* ``alert_approval``: missing-person and public alerts are issued only by a station chief
  (or brigade and detachment staff above).
"""

from __future__ import annotations

from liuqing.core.access import CHIEFS, Policy, register
from liuqing.core.models import Role
from liuqing.partners.models import Alert, Partner, PartnerGroup

PARTNER = "partner"
PARTNER_GROUP = "partner_group"
ALERT = "alert"
ALERT_APPROVAL = "alert_approval"

OPERATIONAL = frozenset(
    {
        Role.OFFICER,
        Role.AUXILIARY,
        Role.GRID_WORKER,
        Role.SERGEANT,
        Role.STATION_CHIEF,
        Role.BRIGADE_STAFF,
        Role.DETACHMENT_STAFF,
    }
)
ISSUERS = frozenset({Role.OFFICER, Role.SERGEANT} | CHIEFS)
GROUP_RUNNERS = frozenset({Role.SERGEANT} | CHIEFS)

register(Policy(kind=PARTNER, model=Partner, view=OPERATIONAL, change=ISSUERS, resident_data=True))
register(Policy(kind=PARTNER_GROUP, model=PartnerGroup, view=OPERATIONAL, change=GROUP_RUNNERS))
register(
    Policy(
        kind=ALERT,
        model=Alert,
        view=OPERATIONAL | {Role.ANALYST},
        change=ISSUERS,
        root_skips_range=True,
    )
)
register(Policy(kind=ALERT_APPROVAL, model=Alert, view=OPERATIONAL | {Role.ANALYST}, change=CHIEFS))
