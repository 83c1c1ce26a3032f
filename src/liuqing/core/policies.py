"""Access policies of the core object kinds (see liuqing.core.access)."""

from liuqing.core.access import ALL_STAFF, CHIEFS, SUPERVISORS, Policy, register
from liuqing.core.models import AuditEvent, Member, Place, Role, SensitiveGrant, Team, Unit

STRUCTURE_ADMINS = CHIEFS | {Role.SYSADMIN}

register(Policy(kind="unit", model=Unit, view=ALL_STAFF, change=STRUCTURE_ADMINS, unit_field=""))
register(Policy(kind="place", model=Place, view=ALL_STAFF, change=SUPERVISORS | {Role.SYSADMIN}))
register(Policy(kind="member", model=Member, view=ALL_STAFF, change=STRUCTURE_ADMINS))
register(Policy(kind="team", model=Team, view=ALL_STAFF, change=SUPERVISORS | {Role.SYSADMIN}))
# Granting access to sensitive records is a chief's decision, never the administrator's.
register(
    Policy(
        kind="sensitive_grant",
        model=SensitiveGrant,
        view=CHIEFS,
        change=CHIEFS,
        unit_field="member__unit",
        resident_data=True,
    )
)
register(
    Policy(
        kind="audit",
        model=AuditEvent,
        view=frozenset(
            {Role.AUDITOR, Role.STATION_CHIEF, Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF}
        ),
        change=frozenset(),
        path_field="unit_path",
    )
)
