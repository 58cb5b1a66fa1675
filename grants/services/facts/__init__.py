"""Every figure the product shows, defined once: which projects count, and what they add up to.

Pages, the API, downloads, both PDF reports, the open-data exports and e-mails read these
answers and compute none of their own. Every figure is as of a day ("today" for the pages):

- a project counts in totals from contracting on (``COUNTED_STATES``); drafts are never
  counted, and never shown to donors. A cancelled project counts with what was paid to it
  before it was cancelled as its award, since the rest was never committed; its payments and
  expenses count in full;
- a milestone is accepted once its acceptance date has come and submitted once its submission
  date has; it is overdue while it waits for the partner (planned, in progress or returned)
  past its due date, due soon while it waits and falls due within ``due_soon_days()``, and
  completed late when it was accepted but submitted after its due date. Cancelled milestones
  count nowhere;
- a tranche is paid once its payment date has come, and releasable while it is neither paid,
  approved nor cancelled, its project is active or finalising and each of its gates accepted;
- money spent is the partners' expenses dated on or before the day; co-financing is the
  contributions in the project's own currency.

Each question costs a fixed number of grouped queries, whatever the number of projects.
"""

from grants.services.facts.projects import (
    BudgetBalance,
    ProjectFigures,
    budget_balances,
    milestones_as_of,
    project_figures,
    risk_reasons,
)
from grants.services.facts.rules import (
    AWAITING_PARTNER,
    COUNTED_STATES,
    DONOR_VISIBLE,
    QUIET_DAYS,
    WATCHED,
    MilestoneFacts,
    counted_award,
    due_soon_condition,
    due_soon_days,
    facts_of,
    milestone_facts,
    milestone_state,
    overdue_condition,
    percent,
    time_elapsed,
    tranche_state,
)
from grants.services.facts.totals import Money, Scope, Totals, figures_in, scope_project_ids, totals

__all__ = [
    "AWAITING_PARTNER",
    "COUNTED_STATES",
    "DONOR_VISIBLE",
    "QUIET_DAYS",
    "WATCHED",
    "BudgetBalance",
    "MilestoneFacts",
    "Money",
    "ProjectFigures",
    "Scope",
    "Totals",
    "budget_balances",
    "counted_award",
    "due_soon_condition",
    "due_soon_days",
    "facts_of",
    "figures_in",
    "milestone_facts",
    "milestone_state",
    "milestones_as_of",
    "overdue_condition",
    "percent",
    "project_figures",
    "risk_reasons",
    "scope_project_ids",
    "time_elapsed",
    "totals",
    "tranche_state",
]
