"""What each role may send: one input model per role and action, unknown fields refused.

A partner's models carry only what a partner may change (expenses, indicator values,
progress updates); a partner who sends an amount, a date or a partner list to anything else
gets 422 and nothing changes. Amounts travel as decimal strings, never as JSON numbers.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema, computed_field

from grants.api.deps import answering_day
from grants.config import today
from grants.models import (
    BudgetLineCreate,
    BudgetLineUpdate,
    CallCreate,
    CallUpdate,
    ExpenseCreate,
    ExpenseUpdate,
    IndicatorCreate,
    IndicatorUpdate,
    IndicatorValueCreate,
    MilestoneCreate,
    MilestoneRead,
    MilestoneReplan,
    MilestoneUpdate,
    OrganisationCreate,
    OrganisationUpdate,
    PartnerRole,
    ProgrammeCreate,
    ProgrammeUpdate,
    ProgressUpdateCreate,
    ProjectCreate,
    ProjectUpdate,
    Role,
    TrancheCreate,
    TrancheUpdate,
    UserCreate,
    UserUpdate,
)
from grants.models.base import Id, PaymentReference, PlainText, Reason
from grants.models.notation import (
    AMOUNT_PATTERN,
    QUANTITY_PATTERN,
    Amount,
    Quantity,
)
from grants.models.programmes import Objectives
from grants.services.facts import milestone_facts


def _decimal_string(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError('send amounts as decimal strings, e.g. "12500.00"')
    return value


Money = Annotated[
    Amount,
    BeforeValidator(_decimal_string),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["12500.00"]}),
]
"""An amount in a body: a string matching ``AMOUNT_PATTERN``, never a JSON number."""
Figure = Annotated[
    Quantity,
    BeforeValidator(_decimal_string),
    WithJsonSchema({"type": "string", "pattern": QUANTITY_PATTERN, "examples": ["120", "-3.5"]}),
]
"""An indicator's baseline, target or value: like ``Money``, and it may be negative."""


def example(data: dict[str, Any]) -> Any:
    """Return the model config of an input model that shows ``data`` as its example."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [data]})


class Input(PlainText):
    """A request body: unknown fields are an error, and so is text with control characters
    (the rule of every input model, ``grants.models.base.PlainText``)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


# Administrators (and grant managers for the organisation directory).


class OrganisationIn(Input, OrganisationCreate):
    model_config = example(
        {
            "ref": "TN-SFAX",
            "name": "Municipality of Sfax",
            "kind": "municipality",
            "country": "TN",
            "city": "Sfax",
        }
    )


class OrganisationPatch(Input, OrganisationUpdate):
    pass


class ProgrammeIn(Input, ProgrammeCreate):
    budget: Money
    managing_organisation_id: Id


class ProgrammePatch(Input, ProgrammeUpdate):
    budget: Money | None = None


class UserIn(Input, UserCreate):
    role: Role
    organisation_id: Id | None = Field(default=None, description="Required except for admins.")


class UserPatch(Input, UserUpdate):
    pass


# Grant managers.


class CallIn(Input, CallCreate):
    programme_id: Id
    max_amount: Money
    objectives: Objectives = Field(description="Objective code -> title, e.g. {'A': '...'}.")


class CallPatch(Input, CallUpdate):
    max_amount: Money | None = None


class ProjectIn(Input, ProjectCreate):
    model_config = example(
        {
            "reference": "MC2CM-2026-014",
            "call_id": 1,
            "title": "One-stop desk for newcomers in Sfax",
            "summary": "Orientation, legal aid and language classes in one place.",
            "city": "Sfax",
            "country": "TN",
            "currency": "EUR",
            "awarded_amount": "48500.00",
            "planned_start": "2026-03-01",
            "planned_end": "2027-02-28",
            "objective_codes": ["A", "C"],
            "lead_organisation_id": 7,
        }
    )
    call_id: Id
    awarded_amount: Money
    manager_id: Id | None = None
    lead_organisation_id: Id = Field(description="The lead grantee (usually the city).")


class ProjectPatch(Input, ProjectUpdate):
    awarded_amount: Money | None = None
    manager_id: Id | None = None


class PartnerIn(Input):
    organisation_id: Id
    role: PartnerRole


class MilestoneIn(Input, MilestoneCreate):
    model_config = example(
        {
            "title": "Desk opened and staffed",
            "due_date": "2026-06-30",
            "evidence_required": "Opening report with photos",
            "responsible_organisation_id": 3,
        }
    )
    responsible_organisation_id: Id | None = None


class MilestonePatch(Input, MilestoneUpdate):
    responsible_organisation_id: Id | None = None


class ReplanIn(Input, MilestoneReplan):
    pass


class TrancheIn(Input, TrancheCreate):
    amount: Money
    gate_milestone_ids: list[Id] = Field(default_factory=list, max_length=50)


class TranchePatch(Input, TrancheUpdate):
    amount: Money | None = None


class BudgetLineIn(Input, BudgetLineCreate):
    amount: Money


class BudgetLinePatch(Input, BudgetLineUpdate):
    amount: Money | None = None


class IndicatorIn(Input, IndicatorCreate):
    baseline: Figure
    target: Figure


class IndicatorPatch(Input, IndicatorUpdate):
    baseline: Figure | None = None
    target: Figure | None = None


# Workflow steps.


class ReasonIn(Input):
    reason: Reason | None = Field(
        default=None, description="Required to return, suspend or cancel."
    )


class PaymentIn(Input):
    paid_amount: Money | None = Field(default=None, description="Defaults to the tranche amount.")
    reference: PaymentReference | None = None


# Partner editors.


class ExpenseIn(Input, ExpenseCreate):
    model_config = example(
        {
            "budget_line_id": 12,
            "spent_on": "2026-05-14",
            "amount": "1250.00",
            "currency": "EUR",
            "description": "Interpreters for the May info sessions",
            "reference": "INV-2026-051",
        }
    )
    budget_line_id: Id
    amount: Money
    organisation_id: Id | None = Field(
        default=None, description="Which of your organisations spent it, if you have several."
    )


class ExpensePatch(Input, ExpenseUpdate):
    amount: Money | None = None


class IndicatorValueIn(Input, IndicatorValueCreate):
    indicator_id: Id
    value: Figure


class ProgressUpdateBody(Input, ProgressUpdateCreate):
    """A progress update's text and figures; a PUT replaces them all."""


class ProgressUpdateIn(ProgressUpdateBody):
    model_config = example(
        {
            "period_start": "2026-04-01",
            "period_end": "2026-06-30",
            "overall_status": "on_track",
            "percent_complete": 40,
            "achievements": "120 people advised; two language classes running.",
            "challenges": "Interpreter shortage in June.",
            "next_steps": "Open Saturday hours.",
        }
    )
    organisation_id: Id | None = Field(
        default=None, description="Which of your organisations reports, if you have several."
    )


class MilestoneOut(MilestoneRead):
    """A milestone as the API answers it: its workflow ``status``, and whether it is overdue.

    ``status`` is the step the workflow is at (what ``start``, ``submit``, ``accept`` act on);
    ``overdue`` says what every page shows in its place: the milestone is past its due date
    and still waits for the partner (planned, in progress or returned), as of the
    application's today. It is the rule of the ``overdue`` list filter and of every figure.
    """

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overdue(self) -> bool:
        day = answering_day.get() or today()
        return milestone_facts(
            self.status, self.due_date, self.submitted_on, self.accepted_on, day
        ).overdue
