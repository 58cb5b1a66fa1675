"""The import workbook's format: its sheets, their columns, and what each column holds.

One description serves the importer, the exporter, the downloadable template and the README:
a column is a key (finds the row's record), a field (set on creation, changed on update),
set only at creation, or exported only (ignored on import).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from grants.i18n import _
from grants.models import BudgetCategory, OrganisationKind, PartnerRole

Kind = Literal["text", "date", "decimal", "int", "bool", "choice", "list", "sectors"]
Use = Literal["key", "field", "create", "export"]


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is shown, not where it is defined."""
    return message


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, the kind of value, and how the import uses it."""

    name: str
    kind: Kind
    help: str
    required: bool = False
    use: Use = "field"
    choices: tuple[str, ...] = ()
    example: str = ""

    @property
    def imported(self) -> bool:
        """Whether the import reads this column (exported-only columns are skipped)."""
        return self.use != "export"


@dataclass(frozen=True)
class Sheet:
    """One entity's sheet (or CSV file): its name, columns and whether it is imported."""

    name: str
    title: str
    columns: tuple[Column, ...]
    imported: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        """The names of the columns that together find a row's record."""
        return tuple(column.name for column in self.columns if column.use == "key")

    def column(self, name: str) -> Column | None:
        """Return the column called ``name``, if the sheet has one."""
        return next((column for column in self.columns if column.name == name), None)


def _choices(values: type[OrganisationKind | PartnerRole | BudgetCategory]) -> tuple[str, ...]:
    return tuple(member.value for member in values)


PROJECT_KEY = Column(
    "project_reference", "text", N_("The project's reference."), True, "key", example="TN-SFX-01"
)
NUMBER_HELP = N_("Its number within the project: 1, 2, 3... New rows continue the sequence.")

ORGANISATIONS = Sheet(
    "organisations",
    N_("Organisations"),
    (
        Column(
            "ref", "text", N_("Short code: capitals, digits, . _ -"), True, "key", example="TN-SFAX"
        ),
        Column("name", "text", N_("Full name."), True, example="Municipality of Sfax"),
        Column(
            "kind",
            "choice",
            N_("What it is."),
            True,
            choices=_choices(OrganisationKind),
            example="municipality",
        ),
        Column("country", "text", N_("ISO 3166 two-letter code."), example="TN"),
        Column("city", "text", N_("City."), example="Sfax"),
        Column(
            "org_identifier",
            "text",
            N_("Its org-id.guide identifier, only if it has one."),
            example="XM-DAC-41120",
        ),
        Column("website", "text", N_("Web address."), example="https://example.org"),
        Column(
            "is_fictional",
            "bool",
            N_("true for invented demo or training data."),
            use="create",
            example="false",
        ),
    ),
)
PROJECTS = Sheet(
    "projects",
    N_("Projects"),
    (
        Column(
            "reference",
            "text",
            N_("The project's reference code."),
            True,
            "key",
            example="TN-SFX-01",
        ),
        Column(
            "call",
            "text",
            N_("The code of the call it was funded under."),
            True,
            "create",
            example="MC2CM-CALL-1",
        ),
        Column("title", "text", N_("Title."), True, example="Welcome desk for newcomers"),
        Column("summary", "text", N_("Summary.")),
        Column("city", "text", N_("City."), True, example="Sfax"),
        Column("country", "text", N_("ISO 3166 two-letter code."), True, example="TN"),
        Column(
            "currency",
            "text",
            N_("ISO 4217 code; the call's currency when empty."),
            use="create",
            example="EUR",
        ),
        Column("awarded_amount", "decimal", N_("The grant awarded."), True, example="45000.00"),
        Column(
            "planned_start", "date", N_("Planned start (YYYY-MM-DD)."), True, example="2026-01-01"
        ),
        Column("planned_end", "date", N_("Planned end (YYYY-MM-DD)."), True, example="2026-12-31"),
        Column("manager", "text", N_("The responsible grant manager's email.")),
        Column(
            "objectives",
            "list",
            N_("The call's objective codes it serves, separated by ;"),
            True,
            "create",
            example="A; C",
        ),
        Column(
            "lead_organisation",
            "text",
            N_("The lead grantee's organisation ref."),
            True,
            "create",
            example="TN-SFAX",
        ),
        Column(
            "sectors",
            "sectors",
            N_("DAC 5-digit sector codes with percentages adding to 100: 15190: 60; 16010: 40."),
            example="15190: 100",
        ),
        Column("status", "text", N_("Exported only: the workflow moves it."), use="export"),
        Column("actual_start", "date", N_("Exported only."), use="export"),
        Column("actual_end", "date", N_("Exported only."), use="export"),
    ),
)
PARTNERS = Sheet(
    "partners",
    N_("Partners"),
    (
        PROJECT_KEY,
        Column(
            "organisation",
            "text",
            N_("The partner organisation's ref."),
            True,
            "key",
            example="TN-CSO-AMAL",
        ),
        Column(
            "role",
            "choice",
            N_("Its part in the project."),
            True,
            "create",
            choices=_choices(PartnerRole),
            example="co_implementing",
        ),
    ),
)
MILESTONES = Sheet(
    "milestones",
    N_("Milestones"),
    (
        PROJECT_KEY,
        Column("number", "int", NUMBER_HELP, True, "key", example="1"),
        Column("title", "text", N_("Title."), True, example="Desk opened"),
        Column("description", "text", N_("Description.")),
        Column(
            "due_date",
            "date",
            N_("Due date, within the project period."),
            True,
            example="2026-03-31",
        ),
        Column(
            "evidence_required", "text", N_("The evidence a partner must attach."), example="Photos"
        ),
        Column(
            "responsible_organisation",
            "text",
            N_("The ref of the partner responsible for it."),
            example="TN-SFAX",
        ),
        Column("baseline_due_date", "date", N_("Exported only."), use="export"),
        Column("status", "text", N_("Exported only: the workflow moves it."), use="export"),
        Column("submitted_on", "date", N_("Exported only."), use="export"),
        Column("accepted_on", "date", N_("Exported only."), use="export"),
    ),
)
TRANCHES = Sheet(
    "tranches",
    N_("Tranches"),
    (
        PROJECT_KEY,
        Column("number", "int", NUMBER_HELP, True, "key", example="1"),
        Column(
            "amount", "decimal", N_("Amount, in the project's currency."), True, example="27000.00"
        ),
        Column(
            "currency",
            "text",
            N_("ISO 4217 code; the project's currency when empty."),
            use="create",
            example="EUR",
        ),
        Column("planned_date", "date", N_("Planned payment date."), True, example="2026-01-15"),
        Column(
            "gate_milestones",
            "list",
            N_("Numbers of the milestones whose acceptance releases it, separated by ;"),
            use="create",
            example="2",
        ),
        Column("status", "text", N_("Exported only: the workflow moves it."), use="export"),
        Column("paid_on", "date", N_("Exported only."), use="export"),
        Column("paid_amount", "decimal", N_("Exported only."), use="export"),
    ),
)
BUDGET_LINES = Sheet(
    "budget_lines",
    N_("Budget lines"),
    (
        PROJECT_KEY,
        Column(
            "code",
            "text",
            N_("The line's code within the project: letters, digits, . _ -"),
            True,
            "key",
            example="B1",
        ),
        Column(
            "category",
            "choice",
            N_("Budget category."),
            True,
            choices=_choices(BudgetCategory),
            example="staff",
        ),
        Column(
            "description",
            "text",
            N_("What the money is for."),
            True,
            example="Desk officer, 12 months",
        ),
        Column(
            "amount",
            "decimal",
            N_("Planned amount, in the project's currency."),
            True,
            example="18000.00",
        ),
        Column(
            "currency",
            "text",
            N_("ISO 4217 code; the project's currency when empty."),
            use="create",
            example="EUR",
        ),
    ),
)

IMPORT_SHEETS: tuple[Sheet, ...] = (
    ORGANISATIONS,
    PROJECTS,
    PARTNERS,
    MILESTONES,
    TRANCHES,
    BUDGET_LINES,
)
SHEETS: dict[str, Sheet] = {sheet.name: sheet for sheet in IMPORT_SHEETS}
# Sheets an export writes that the import passes over (with a note), so an exported
# workbook can be imported back as it is.
EXPORT_ONLY_SHEETS = (
    "programmes",
    "calls",
    "expenses",
    "indicators",
    "indicator_values",
    "progress_updates",
    "instructions",
)


def sheet_named(name: str) -> Sheet | None:
    """Return the sheet a workbook sheet or CSV file called ``name`` stands for."""
    return SHEETS.get(normalise_name(name))


def normalise_name(name: str) -> str:
    """Return a header or sheet name as the format spells it: lower case, ``_`` for spaces."""
    cleaned = name.replace("\ufeff", "").strip().strip("*").strip().lower()
    return "_".join(cleaned.replace("-", " ").split())


def described(text: str) -> str:
    """Return a column's help text in the active language."""
    return _(text)
