"""Dispute mediation (矛盾纠纷调处): a dispute is one casework `Case` of kind "dispute".

The case holds what the engine needs (unit, dispute type as its category, status, clocks);
the tables here hold what only mediation needs, following the People's Mediation Law:
the mediation organisations on the '1+4+N' levels, the parties (personal data encrypted at
rest; no ethnicity or religion), mediators, sessions, escalations, deadline extensions with
both parties' consent, agreements with their obligations, performance and payments,
judicial confirmation and follow-up visits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuqing.casework.models import Case
from liuqing.core.models import Place, Unit
from liuqing.core.pii import (
    AddressField,
    BlindIndexField,
    IdentityNumberField,
    PersonNameField,
    PhoneNumberField,
)


class Level(models.TextChoices):
    """The '1+4+N' levels, lowest first."""

    VILLAGE = "village", _("Village or community mediation room")
    TOWNSHIP = "township", _("Township or street mediation station")
    COUNTY = "county", _("County or town mediation centre")


LEVEL_RANK = {Level.VILLAGE: 1, Level.TOWNSHIP: 2, Level.COUNTY: 3}


class Source(models.TextChoices):
    APPLICATION = "application", _("A party applied")
    INITIATIVE = "initiative", _("Started by the mediator")
    REFERRAL = "referral", _("Referred")


class Referrer(models.TextChoices):
    POLICE_110 = "police_110", _("110 dispatch")
    COURT = "court", _("A court")
    GOVERNMENT = "government", _("The township government")
    HOTLINE = "hotline", _("The 12345 hotline")
    GRID = "grid", _("A grid worker")


class Channel(models.TextChoices):
    """Where the parties are advised to turn when mediation ends without agreement."""

    ARBITRATION = "arbitration", _("Arbitration")
    COURT = "court", _("A court")
    ADMINISTRATIVE = "administrative", _("An administrative body")


class Outcome(models.TextChoices):
    WRITTEN = "written", _("Written agreement")
    ORAL = "oral", _("Oral agreement")
    TERMINATED = "terminated", _("Terminated without agreement")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")


class Committee(models.Model):
    """A mediation organisation on one of the '1+4+N' levels: a village or community
    mediation room, a township or street station, or a county or town centre; configured as a
    place (where it sits) with a level, owned by a unit."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["unit__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="committee_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rank(self) -> int:
        return LEVEL_RANK[Level(self.level)]


class Dispute(models.Model):
    """The dispute-specific part of a case (one-to-one, sharing its primary key).

    `level` is the level now mediating it; `resolved_level` the level at which an agreement
    was reached. `deadline` is one month from acceptance (MEDIATION_DEADLINE_DAYS), later only
    by an extension both parties consented to."""

    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.CASCADE, related_name="dispute"
    )
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="disputes")
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    referrer = models.CharField(_("referred by"), max_length=16, blank=True)
    claims = models.TextField(_("claims"), blank=True, max_length=4000)
    amount = models.DecimalField(
        _("amount in dispute"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    accepted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    refusal_advice = models.TextField(blank=True, max_length=2000)
    risk_flag = models.BooleanField(_("risk of a public-order or criminal matter"), default=False)
    risk_note = models.TextField(blank=True, max_length=2000)
    risk_reported_at = models.DateTimeField(null=True, blank=True)
    risk_station = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    channels = models.CharField(_("channels advised"), max_length=100, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    resolved_level = models.CharField(max_length=16, choices=Level.choices, blank=True)
    # The decision day of the first judicial confirmation of one of its agreements (the
    # figures read it with the dispute instead of joining agreements and confirmations;
    # kept by liuqing.mediation.followup.record_confirmation_result).
    confirmed_on = models.DateField(null=True, blank=True)
    remediations = models.PositiveIntegerField(default=0)
    # When the parties' personal data was erased (liuqing.mediation.retention).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Covers the figures' query (liuqing.mediation.kpis): the database reads the index only.
        indexes = [
            models.Index(
                fields=[
                    "accepted_at",
                    "outcome",
                    "agreed_at",
                    "concluded_at",
                    "resolved_level",
                    "confirmed_on",
                    "case",
                ],
                name="dispute_figures",
            )
        ]

    def __str__(self) -> str:
        return f"dispute {self.case_id}"

    @property
    def referrer_label(self) -> str:
        """Who referred the dispute, in the reader's language (the stored code if unknown)."""
        return str(dict(Referrer.choices).get(self.referrer, self.referrer))

    @property
    def channel_labels(self) -> list[str]:
        """The channels advised, in the reader's language (stored as "arbitration,court")."""
        labels = dict(Channel.choices)
        return [str(labels.get(c, c)) for c in self.channels.split(",") if c]


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")
    THIRD = "third", _("Third party")


class Party(models.Model):
    """A person or organisation in a dispute. Name, identity number, phone and address are
    encrypted at rest and shown masked; nothing about ethnicity or religion is recorded."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=16, choices=PartyRole.choices)
    is_organisation = models.BooleanField(_("organisation"), default=False)
    name = PersonNameField(_("name"))
    id_number = IdentityNumberField(_("identity number"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    phone_index = BlindIndexField(source="phone")
    address = AddressField(_("address"), blank=True)
    agent_name = PersonNameField(_("agent"), blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"party {self.pk}"


class MediatorKind(models.TextChoices):
    OFFICER = "officer", _("Police officer")
    CADRE = "cadre", _("Village cadre")
    PARTY_MEMBER = "party_member", _("Senior party member")
    JUDICIAL = "judicial", _("Judicial office staff")
    LAWYER = "lawyer", _("Lawyer")
    JUDGE = "judge", _("Judge")
    ELDER = "elder", _("Elders' mediation team")


class Mediator(models.Model):
    """A mediator on a dispute; `ended_at` with a reason once replaced at a party's request."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="mediators")
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=MediatorKind.choices)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.BooleanField(_("lead mediator"), default=False)
    added_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True, max_length=2000)
    # The party at whose request the mediator was replaced (回避), if any.
    replaced_for = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """One mediation session with its minutes (笔录); private sessions are closed to the
    public (a party's request or privacy)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("time"))
    location = models.CharField(_("place"), max_length=200)
    attendees = models.TextField(_("attendees"), max_length=2000)
    minutes = models.TextField(_("minutes"), max_length=8000)
    private = models.BooleanField(_("private session"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["held_at", "pk"]

    def __str__(self) -> str:
        return f"session {self.pk}"


class Escalation(models.Model):
    """A move of a dispute to a committee of a higher level, with the reason."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="escalations")
    from_committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    to_committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"escalation {self.pk}"


class Extension(models.Model):
    """A deadline extension: only with both parties' consent recorded."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveIntegerField()
    applicant_consent = models.BooleanField()
    respondent_consent = models.BooleanField()
    reason = models.TextField(max_length=2000)
    old_deadline = models.DateTimeField()
    new_deadline = models.DateTimeField()
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"extension {self.pk}"


class Agreement(models.Model):
    """A mediation agreement (人民调解协议书), written or oral (recorded by the mediator). A
    written one takes effect when every party and the mediator have signed and the committee
    seal is applied. `defaulted_at` marks one whose default sent the dispute back to
    mediation."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="agreements")
    number = models.CharField(_("number"), max_length=140)  # "（2026）<committee>调字第N号"
    written = models.BooleanField(_("written"))
    facts = models.TextField(_("main facts"), max_length=4000)
    matters = models.TextField(_("disputed matters"), max_length=4000)
    responsibilities = models.TextField(_("responsibilities"), max_length=4000)
    content = models.TextField(_("agreed content"), max_length=4000)
    parties_signed = models.BooleanField(default=False)
    mediator_signed = models.BooleanField(default=False)
    sealed = models.BooleanField(default=False)
    effective_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    defaulted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def confirmation_due(self) -> dt.date:
        """The last day of the joint application for judicial confirmation (30 days)."""
        return timezone.localtime(self.effective_at).date() + dt.timedelta(days=30)


class Obligation(models.Model):
    """One obligation of an agreement: who owes whom what, how and by when."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="obligations")
    # The agreement's dispute, copied (it never changes): the figures of a subtree find the
    # obligations of its disputes without joining agreements. Indexed by obligation_by_dispute.
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="+", db_index=False)
    obligor = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    obligee = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=500)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    method = models.CharField(_("method"), max_length=200, blank=True)
    due_date = models.DateField(_("due date"))  # indexed by obligation_figures
    performed_on = models.DateField(null=True, blank=True)
    defaulted = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_date", "pk"]
        # The figures (liuqing.mediation.kpis) read obligations from the index only: by due
        # date for the whole tree, by the subtree's disputes otherwise.
        indexes = [
            models.Index(
                fields=["due_date", "performed_on", "agreement"], name="obligation_figures"
            ),
            models.Index(
                fields=["dispute", "due_date", "performed_on"], name="obligation_by_dispute"
            ),
        ]

    def __str__(self) -> str:
        return self.action

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments.all()), Decimal("0"))


class Payment(models.Model):
    """A payment towards an obligation: the amounts recovered."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="payments")
    # The obligation's dispute, copied (it never changes), like Obligation.dispute.
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="+", db_index=False)
    paid_on = models.DateField()  # indexed by payment_figures
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        # Like the obligations' two: by day for the whole tree, by dispute for a subtree.
        indexes = [
            models.Index(fields=["paid_on", "amount", "obligation"], name="payment_figures"),
            models.Index(fields=["dispute", "paid_on", "amount"], name="payment_by_dispute"),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk}"


class ConfirmationResult(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Not confirmed")


class Confirmation(models.Model):
    """The parties' joint application for judicial confirmation and the court's decision."""

    agreement = models.OneToOneField(
        Agreement, on_delete=models.CASCADE, related_name="confirmation"
    )
    applied_on = models.DateField()
    court = models.CharField(max_length=100)
    number = models.CharField(max_length=64, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    result = models.CharField(max_length=16, choices=ConfirmationResult.choices, blank=True)

    def __str__(self) -> str:
        return f"confirmation {self.pk}"


class Visit(models.Model):
    """A follow-up visit (回访) on performance."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField()
    performing = models.BooleanField(_("obligations being performed"))
    satisfied = models.BooleanField(_("parties satisfied"), null=True)
    risks = models.TextField(_("remaining risks"), blank=True, max_length=2000)
    actions = models.TextField(_("actions taken"), blank=True, max_length=2000)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["visited_on", "pk"]

    def __str__(self) -> str:
        return f"visit {self.pk}"
