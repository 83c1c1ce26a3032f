"""The one-stop reception desk (一站式接待) and village talk points (说事点).

The desk logs every walk-in visitor (arrival, start and end of handling: the waiting and
handling times) and sends the matter where it belongs through the owning module's service:
a request to appeals, a dispute to mediation, an incident report to incidents. Two kinds of
matter stay here: a complaint about police conduct, which goes to a supervision queue at the
unit above the station that handled the matter (that station never sees it), and a report of
domestic violence or school bullying, which carries a sensitive label (only members granted
that label see it). A talk point session records the date, place, attendance and officers
present; each matter raised there becomes a request or a dispute in one step.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuqing.casework.models import Case
from liuqing.core.models import Place, SensitiveLabel, Unit
from liuqing.core.pii import SensitiveNoteField


class Route(models.TextChoices):
    APPEAL = "appeal", _("A request (appeal)")
    DISPUTE = "dispute", _("A dispute (mediation)")
    INCIDENT = "incident", _("An incident report")
    COMPLAINT = "complaint", _("A complaint about police conduct")
    RESTRICTED = "restricted", _("Domestic violence or school bullying")


# What the desk log shows, in place of the route, to a member who may not see the report.
REFERRED = "referred"


class WalkIn(models.Model):
    """One visitor at the desk of `unit`: waiting = served_at − arrived_at, handling =
    finished_at − served_at. No personal data here: it goes with the matter."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    arrived_at = models.DateTimeField(_("arrived"), default=timezone.now, db_index=True)
    served_at = models.DateTimeField(_("served"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    route = models.CharField(_("sent to"), max_length=16, choices=Route.choices, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-arrived_at", "-pk"]

    def __str__(self) -> str:
        return f"walk-in {self.pk}"

    @property
    def is_concealed(self) -> bool:
        """True when this walk-in became a restricted report that the member looking may not
        see: the selectors annotate `hides_report` for that member; without it (a walk-in
        fetched some other way) a restricted route is concealed, to be safe."""
        return self.route == Route.RESTRICTED and bool(getattr(self, "hides_report", True))

    @property
    def shown_route(self) -> str:
        """The route as the member may see it: "referred" in place of a concealed one."""
        return REFERRED if self.is_concealed else self.route

    @property
    def shown_route_label(self) -> str:
        if self.is_concealed:
            return str(pgettext_lazy("reception route", "Referred"))
        return str(self.get_route_display())

    @property
    def shown_reference(self) -> str:
        return "" if self.is_concealed else self.reference

    @property
    def waiting_seconds(self) -> int | None:
        if self.served_at is None:
            return None
        return int((self.served_at - self.arrived_at).total_seconds())

    @property
    def handling_seconds(self) -> int | None:
        if self.served_at is None or self.finished_at is None:
            return None
        return int((self.finished_at - self.served_at).total_seconds())


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("complaint status", "Received")
    IN_HAND = "in_hand", pgettext_lazy("complaint status", "Being handled")
    CLOSED = "closed", pgettext_lazy("complaint status", "Closed")


class ComplaintOutcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    PARTLY_UPHELD = "partly_upheld", _("Partly upheld")
    NOT_UPHELD = "not_upheld", _("Not upheld")
    WITHDRAWN = "withdrawn", _("Withdrawn by the complainant")


class ConductComplaint(models.Model):
    """A complaint about police conduct, in the supervision queue of `unit` (the unit above
    the station concerned, `about_unit`). Not a casework case (its clocks, public summary and
    follow-up do not fit a complaint kept away from the station): a supervisor takes it
    (`owner`), records the outcome with a note, and closes it."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    about_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    text = SensitiveNoteField(_("complaint"))
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    walk_in = models.ForeignKey(WalkIn, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ComplaintOutcome.choices, blank=True
    )
    # Staff-only, but it may name the people involved: encrypted like the complaint's text,
    # shown masked, revealed with a reason (audited).
    outcome_note = SensitiveNoteField(_("outcome note"))
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the text and outcome note were erased (liuqing.reception.retention).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"complaint {self.pk}"


class ComplaintHandover(models.Model):
    """A supervisor of the queue took over a complaint another supervisor was handling: who
    from whom, when and why (the previous handler is told through the notify outbox)."""

    complaint = models.ForeignKey(
        ConductComplaint, on_delete=models.CASCADE, related_name="handovers"
    )
    from_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous handler"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("new handler"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"handover {self.pk}"


class ReportKind(models.TextChoices):
    DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic violence")
    SCHOOL_BULLYING = "school_bullying", _("School bullying")


LABEL_OF = {
    ReportKind.DOMESTIC_VIOLENCE: SensitiveLabel.DOMESTIC_VIOLENCE,
    ReportKind.SCHOOL_BULLYING: SensitiveLabel.MINOR,
}


class RestrictedReport(models.Model):
    """A report of domestic violence or school bullying: `label` is the sensitive label a
    member needs a grant for to see it at all."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=ReportKind.choices)
    label = models.CharField(max_length=24, choices=SensitiveLabel.choices)
    text = SensitiveNoteField(_("report"))
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    walk_in = models.ForeignKey(WalkIn, null=True, blank=True, on_delete=models.SET_NULL)
    # When the text was erased (liuqing.reception.retention).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"report {self.pk}"


class TalkSession(models.Model):
    """A session at a village talk point (说事点)."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    place = models.ForeignKey(Place, verbose_name=_("place"), on_delete=models.PROTECT)
    held_on = models.DateField(_("date"))
    attendees = models.PositiveIntegerField(_("number of attendees"))
    officers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"talk session {self.pk}"


class TalkMatter(models.Model):
    """A matter raised at a session, and the request or dispute it became."""

    session = models.ForeignKey(TalkSession, on_delete=models.CASCADE, related_name="matters")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"matter {self.pk}"
