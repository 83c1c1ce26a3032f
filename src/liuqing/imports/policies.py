"""Access policies of the import engine's own rows.

Import runs and saved mappings belong to a unit and are seen in its jurisdiction. The roles
are those that import ledgers (analysts, station chiefs, brigade and detachment staff; the
auditor reads). A run's rows may quote a ledger's contents (its error report), so the system
administrator sees none. Starting a run also needs the ledger kind's own policy (change).
"""

from __future__ import annotations

from liuqing.core.access import Policy, register
from liuqing.core.models import Role
from liuqing.imports.models import ColumnMapping, ImportRun

IMPORT_RUN = "import_run"
COLUMN_MAPPING = "column_mapping"
IMPORTERS = frozenset({Role.ANALYST, Role.STATION_CHIEF, Role.BRIGADE_STAFF, Role.DETACHMENT_STAFF})

register(
    Policy(kind=IMPORT_RUN, model=ImportRun, view=IMPORTERS, change=IMPORTERS, resident_data=True)
)
register(
    Policy(
        kind=COLUMN_MAPPING,
        model=ColumnMapping,
        view=IMPORTERS,
        change=IMPORTERS,
        resident_data=True,
    )
)
