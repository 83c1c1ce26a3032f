"""Permission-matrix declarations of the residents' pages, the Open311 endpoint and the staff
contact-card sheets (see liuqing.core.matrix). appeals/permissions.py merges these.

The residents' pages and Open311 need no login (`PUBLIC`); what they may show is decided by
their selectors (liuqing.appeals.public_selectors), and test_canaries.py scans every one of
them for personal data. The contact cards are staff pages: anyone who may see a member (or a
unit) may print that member's card (or the cards of the unit's officers); out of scope → 404.
"""

from __future__ import annotations

from liuqing.core.matrix import Route, TargetFactory

PUBLIC_PAGES = {
    "appeals:public_home",
    "appeals:public_submit",
    "appeals:public_receipt",
    "appeals:public_track",
    "appeals:public_status",
    "appeals:public_boards",
    "appeals:public_board",
    "appeals:public_board_pdf",
}
OPEN311 = {
    "open311:discovery",
    "open311:services",
    "open311:service_definition",
    "open311:requests",
    "open311:request",
    "open311:token",
    "open311:updates",
    "open311:media",
    "open311:not_found",
}
PUBLIC: set[str] = PUBLIC_PAGES | OPEN311

ROUTES: list[Route] = [
    # The sheet picker lists the officers in scope: the matrix's member markers must show
    # for own and child units and never for the others.
    Route(name="appeals:contact_cards", kind="member", lists="member"),
    Route(name="appeals:contact_cards_officer", kind="member", target="member"),
    Route(name="appeals:contact_cards_unit", kind="unit", target="unit"),
]

# The cards aim at core's "member" and "unit" targets (liuqing.core.routes_structure).
TARGETS: dict[str, TargetFactory] = {}

__all__ = ["OPEN311", "PUBLIC", "PUBLIC_PAGES", "ROUTES", "TARGETS"]
