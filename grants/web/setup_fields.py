"""The fields of the programme, call and organisation forms."""

from __future__ import annotations

from typing import Any

from grants.i18n import _
from grants.models import OrganisationKind
from grants.web.record_forms import Field

CODE_HINT = "Capitals, digits, dots and dashes, e.g. MC2CM."


def programme_fields(organisations: list[tuple[Any, str]], *, new: bool) -> list[Field]:
    """Return a programme form's fields (its code, currency and manager are set once)."""
    fixed = [
        Field("code", _("Code"), hint=_(CODE_HINT), maxlength=40),
        Field("currency", _("Currency"), hint=_("ISO 4217 code, e.g. EUR."), maxlength=3),
        Field("managing_organisation_id", _("Managed by"), "select", options=organisations),
    ]
    return [
        *(fixed if new else []),
        Field("title", _("Title"), maxlength=300),
        Field("description", _("Description"), "textarea", required=False, maxlength=10_000),
        Field("budget", _("Budget"), "amount"),
        Field("start_date", _("Starts"), "date"),
        Field("end_date", _("Ends"), "date"),
    ]


def call_fields(*, new: bool) -> list[Field]:
    """Return a call form's fields (its code and objectives are set when it opens)."""
    fixed = [Field("code", _("Code"), hint=_(CODE_HINT), maxlength=40)]
    objectives = [
        Field(
            "objectives",
            _("Objectives"),
            "textarea",
            hint=_("One per line as CODE: title, e.g. A: Cooperation between stakeholders."),
        )
    ]
    return [
        *(fixed if new else []),
        Field("title", _("Title"), maxlength=300),
        Field("opens_on", _("Opens on"), "date"),
        Field("closes_on", _("Closes on"), "date"),
        Field("max_amount", _("Maximum per project"), "amount"),
        *(objectives if new else []),
    ]


def organisation_fields(*, new: bool) -> list[Field]:
    """Return an organisation form's fields (its reference is set once)."""
    kinds = [(k.value, _(k.value).replace("_", " ")) for k in OrganisationKind]
    fixed = [
        Field(
            "ref",
            _("Reference"),
            hint=_("Capitals, digits, dots and dashes, e.g. TN-SFAX."),
            maxlength=40,
        )
    ]
    return [
        *(fixed if new else []),
        Field("name", _("Name"), maxlength=200),
        Field("kind", _("Kind"), "select", options=kinds),
        Field(
            "country",
            _("Country"),
            required=False,
            hint=_("Two-letter code, e.g. TN."),
            maxlength=2,
        ),
        Field("city", _("City"), required=False, maxlength=100),
        Field(
            "org_identifier",
            _("Organisation identifier"),
            required=False,
            hint=_("From org-id.guide, e.g. XM-DAC-41120; leave empty if it has none."),
            maxlength=100,
        ),
        Field("website", _("Website"), required=False, maxlength=300),
    ]
