"""Forms of the case pages: they parse and present; the services validate and write.

Choices that name other rows (owners, units) come from the selectors, so a forged id is an
invalid choice. Cases to link or merge are named by id or number and looked up in the
member's jurisdiction.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from liuqing.casework import selectors
from liuqing.casework.models import Case, Satisfaction
from liuqing.casework.services import MAX_EXTENSION_DAYS, REASON_MAX, TEXT_MAX
from liuqing.casework.workflows import ACTION_LABELS
from liuqing.core.forms import MemberChoiceField, UnitChoiceField
from liuqing.core.models import Member

PUBLIC_HELP = _("Public entries reach the resident and the notice board (after redaction).")


def _text(label: Any, max_length: int, *, required: bool = True, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _public() -> forms.BooleanField:
    return forms.BooleanField(label=_("public"), required=False, help_text=PUBLIC_HELP)


class TransitionForm(forms.Form):
    action = forms.ChoiceField(label=_("action"))
    note = _text(_("note, reason or resolution"), TEXT_MAX, required=False)
    public = _public()

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(a, ACTION_LABELS.get(a, a)) for a in actions]
        self.fields["note"].help_text = _(
            "Resolving needs the resolution; rejecting, reopening, returning, parking and "
            "withdrawing need a reason."
        )


class AssignForm(forms.Form):
    owner = MemberChoiceField(label=_("owner"), queryset=Member.objects.none())
    note = _text(_("note"), REASON_MAX, required=False, rows=2)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.eligible_owners(case)  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = _text(_("note"), TEXT_MAX)
    public = _public()


class ContactForm(forms.Form):
    METHODS = [
        ("phone", _("Phone call")),
        ("visit", _("Visit")),
        ("message", _("Message")),
        ("other", _("Other")),
    ]
    method = forms.ChoiceField(label=_("how"), choices=METHODS)
    text = _text(_("what was said"), TEXT_MAX)
    public = _public()


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("file"),
        help_text=_("A photo (JPEG, PNG, WebP) or a PDF, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,.pdf"}),
    )
    note = _text(_("note"), REASON_MAX, required=False, rows=2)
    public = forms.BooleanField(
        label=_("public"),
        required=False,
        help_text=_(
            "A public photo of a public request is published through Open311, as a copy "
            "without its location and camera data: mark it public only if it shows nobody "
            "and nothing personal. PDF documents are never published."
        ),
    )


class ExtensionRequestForm(forms.Form):
    days = forms.IntegerField(label=_("working days"), min_value=1, max_value=MAX_EXTENSION_DAYS)
    reason = _text(_("reason"), REASON_MAX)


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = _text(_("note (needed to refuse)"), REASON_MAX, required=False, rows=2)


class FollowUpForm(forms.Form):
    method = forms.ChoiceField(label=_("how"), choices=ContactForm.METHODS)
    satisfaction = forms.ChoiceField(
        label=_("satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    resolved = forms.TypedChoiceField(
        label=_("was the matter resolved?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = _text(_("note"), REASON_MAX, required=False, rows=2)
    reopen = forms.BooleanField(
        label=_("reopen the case (重办)"),
        required=False,
        help_text=_("Only when the resident is dissatisfied or the matter is not resolved."),
    )
    reopen_reason = _text(_("reason for reopening"), REASON_MAX, required=False, rows=2)


class CaseRefForm(forms.Form):
    """Names another case by id or number (link, merge)."""

    other = forms.CharField(label=_("other case (number or id)"), max_length=40)
    note = _text(_("note"), REASON_MAX, required=False, rows=2)

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_other(self) -> Case:
        found = selectors.find_case(self.actor, self.cleaned_data["other"])
        if found is None:
            raise forms.ValidationError(_("There is no such case in your jurisdiction."))
        return found


class MergeForm(CaseRefForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["other"].label = _("merge into case (number or id)")


class TransferForm(forms.Form):
    to_unit = UnitChoiceField(label=_("to unit"), queryset=Case.objects.none())
    reason = _text(_("reason"), REASON_MAX)

    def __init__(self, *args: Any, actor: Member, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = selectors.transfer_targets(actor, case)  # type: ignore[attr-defined]
