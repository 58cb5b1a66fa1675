"""State machines as data: each workflow is a table of named steps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from grants.i18n import _
from grants.models import MilestoneStatus, ProjectStatus, ReviewStatus, TrancheStatus
from grants.services.errors import InvalidTransition


class Actor(StrEnum):
    """Who performs a step: the programme's grant manager or an editor of a partner."""

    MANAGER = "manager"
    PARTNER = "partner"


@dataclass(frozen=True)
class Step:
    name: str
    sources: frozenset[StrEnum]
    target: StrEnum
    actor: Actor
    needs_reason: bool = False


class Workflow:
    """The steps of one entity's life, looked up by name."""

    def __init__(self, label: str, steps: Iterable[Step]) -> None:
        self.label = label
        self.steps = {step.name: step for step in steps}

    def allowed_from(self, state: StrEnum) -> list[str]:
        """Return the names of the steps that may be taken from ``state``."""
        return sorted(name for name, step in self.steps.items() if state in step.sources)

    def step(self, name: str) -> Step:
        """Return the step called ``name``; raise ``InvalidTransition`` if there is none."""
        if name not in self.steps:
            raise InvalidTransition(
                _("A {label} has no step {step!r}; its steps are: {steps}.").format(
                    label=self.label, step=name, steps=", ".join(sorted(self.steps))
                ),
                allowed=sorted(self.steps),
            )
        return self.steps[name]

    def check(self, name: str, state: StrEnum) -> Step:
        """Return the step ``name`` if it may be taken from ``state``; else raise."""
        step = self.steps.get(name)
        if step is None or state not in step.sources:
            allowed = self.allowed_from(state)
            raise InvalidTransition(
                _("Cannot {step} a {label} that is {state}; allowed: {allowed}.").format(
                    step=name,
                    label=self.label,
                    state=state.value.replace("_", " "),
                    allowed=", ".join(allowed) or _("nothing"),
                ),
                allowed=allowed,
            )
        return step


def _step(
    name: str, sources: Iterable[StrEnum], target: StrEnum, actor: Actor, needs_reason: bool = False
) -> Step:
    return Step(name, frozenset(sources), target, actor, needs_reason)


PS, MS, TS, RS = ProjectStatus, MilestoneStatus, TrancheStatus, ReviewStatus
M, P = Actor.MANAGER, Actor.PARTNER

PROJECT = Workflow(
    "project",
    [
        _step("start_contracting", [PS.DRAFT], PS.CONTRACTING, M),
        _step("activate", [PS.CONTRACTING], PS.ACTIVE, M),
        _step("finalise", [PS.ACTIVE], PS.FINALISING, M),
        _step("close", [PS.FINALISING], PS.CLOSED, M),
        _step("suspend", [PS.ACTIVE], PS.SUSPENDED, M, True),
        _step("resume", [PS.SUSPENDED], PS.ACTIVE, M),
        _step(
            "cancel",
            [PS.DRAFT, PS.CONTRACTING, PS.ACTIVE, PS.SUSPENDED, PS.FINALISING],
            PS.CANCELLED,
            M,
            True,
        ),
    ],
)

MILESTONE = Workflow(
    "milestone",
    [
        _step("start", [MS.PLANNED], MS.IN_PROGRESS, P),
        _step("submit", [MS.PLANNED, MS.IN_PROGRESS, MS.RETURNED], MS.SUBMITTED, P),
        _step("accept", [MS.SUBMITTED], MS.ACCEPTED, M),
        _step("return", [MS.SUBMITTED], MS.RETURNED, M, True),
        _step(
            "cancel", [MS.PLANNED, MS.IN_PROGRESS, MS.SUBMITTED, MS.RETURNED], MS.CANCELLED, M, True
        ),
    ],
)

TRANCHE = Workflow(
    "tranche",
    [
        _step("approve", [TS.SCHEDULED], TS.APPROVED, M),
        _step("pay", [TS.APPROVED], TS.PAID, M),
        _step("cancel", [TS.SCHEDULED, TS.APPROVED], TS.CANCELLED, M, True),
    ],
)

PROGRESS_UPDATE = Workflow(
    "progress update",
    [
        _step("submit", [RS.DRAFT, RS.RETURNED], RS.SUBMITTED, P),
        _step("approve", [RS.SUBMITTED], RS.APPROVED, M),
        _step("return", [RS.SUBMITTED], RS.RETURNED, M, True),
    ],
)

REPORTING_OPEN = frozenset({PS.ACTIVE, PS.FINALISING})
