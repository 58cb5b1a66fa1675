"""The load benchmark's writes: expenses, corrections, submissions, reviews and tranches,
each as the user who would do it (see ``_load_mix`` for the mix)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from _http import form_body, multipart_body
from _load_client import RACES, Client, manager_token
from _load_setup import ProjectFacts

EVIDENCE = b"name,organisation,date\nParticipant one,partner,2026-11-20\n"
OPEN = frozenset({"planned", "in_progress", "returned"})
TRANCHE_AMOUNT = Decimal("50.00")
ACCEPT_SHARE = 0.75
RETURN_REASON = "The attendance list is not signed; please add the signed copy."
CANCEL_REASON = "Replaced by smaller instalments."


def _day(c: Client, project: ProjectFacts) -> str:
    earliest = max(project.started, c.world.today - dt.timedelta(days=60))
    span = (c.world.today - earliest).days
    return (earliest + dt.timedelta(days=c.rng.randint(0, max(0, span)))).isoformat()


def _amount(c: Client) -> str:
    return f"{c.rng.randint(500, 90_000) / 100:.2f}"


def _reporting(c: Client) -> set[int]:
    return {p.id for p in c.world.projects}


async def expense_api(c: Client) -> None:
    project = c.rng.choice(c.world.projects)
    organisation = c.rng.choice(project.partners)
    answer = await c.call(
        "POST api expense",
        "POST",
        f"/api/v1/projects/{project.id}/expenses",
        token=c.world.tokens[project.editors[organisation]],
        payload={
            "budget_line_id": c.rng.choice(project.budget_lines),
            "spent_on": _day(c, project),
            "amount": _amount(c),
            "currency": project.currency,
            "description": "Venue and catering for a partner workshop",
            "reference": c.next_ref("INV"),
            "organisation_id": organisation,
        },
        expect=201,
    )
    if answer is not None:
        c.tally.made("expense", json.loads(answer.body)["id"])


async def expense_web(c: Client) -> None:
    project, email = c.rng.choice(c.world.web_partners)
    body, media = form_body(
        {
            "csrf_token": c.world.csrf[email],
            "budget_line_id": str(c.rng.choice(project.budget_lines)),
            "spent_on": _day(c, project),
            "amount": _amount(c),
            "description": "Interpreters for an information session",
            "reference": c.next_ref("WEB"),
        }
    )
    path = f"/projects/{project.id}/expenses/new"
    cookie = c.world.cookies[email]
    if await c.call(
        "POST web expense", "POST", path, cookie=cookie, body=body, media=media, expect=303
    ):
        c.tally.web_expenses += 1


async def correct_expense(c: Client) -> None:
    project = c.rng.choice(c.world.projects)
    organisation = c.rng.choice(project.partners)
    token = c.world.tokens[project.editors[organisation]]
    found = await c.get_json(
        "GET api expenses",
        f"/api/v1/expenses?project_id={project.id}&organisation_id={organisation}&limit=10",
        token,
    )
    if found is None or not found[0]["items"]:
        return
    ident = c.rng.choice(found[0]["items"])["id"]
    got = await c.get_json("GET api expense", f"/api/v1/expenses/{ident}", token)
    if got is None:
        return
    answer = await c.call(
        "PATCH api expense",
        "PATCH",
        f"/api/v1/expenses/{ident}",
        token=token,
        payload={"description": f"Corrected: {c.next_ref('invoice')}"},
        headers={"If-Match": got[1]},
    )
    if answer is not None:
        c.tally.successes["expense", ident, "corrected"] += 1


async def submit(c: Client) -> None:
    project = c.rng.choice(c.world.projects)
    lead = c.world.tokens[project.editors[project.partners[0]]]
    found = await c.get_json(
        "GET api milestones", f"/api/v1/milestones?project_id={project.id}&limit=200", lead
    )
    if found is None:
        return
    candidates = [
        m
        for m in found[0]["items"]
        if m["status"] in OPEN and m["responsible_organisation_id"] in project.editors
    ]
    milestone = c.rng.choice(candidates) if candidates else await _plan_milestone(c, project)
    if milestone is None:
        return
    token = c.world.tokens[project.editors[milestone["responsible_organisation_id"]]]
    ident = milestone["id"]
    body, media = multipart_body("file", "attendance.csv", EVIDENCE, "text/csv")
    answer = await c.call(
        "POST api evidence",
        "POST",
        f"/api/v1/milestones/{ident}/attachments",
        token=token,
        body=body,
        media=media,
        expect=201,
    )
    if answer is None:
        return
    attachment = json.loads(answer.body)["id"]
    c.tally.made("attachment", attachment)
    c.world.attachments.append((attachment, project.id))
    got = await c.get_json("GET api milestone", f"/api/v1/milestones/{ident}", token)
    if got is None or got[0]["status"] not in OPEN:
        return  # another client submitted it meanwhile
    path = f"/api/v1/milestones/{ident}/submit"
    headers = {"If-Match": got[1]}
    if await c.call(
        "POST api milestone submit", "POST", path, token=token, payload={}, headers=headers
    ):
        c.tally.successes["milestone", ident, "submitted"] += 1


async def _plan_milestone(c: Client, project: ProjectFacts) -> dict[str, Any] | None:
    due = min(project.planned_end, max(project.planned_start, c.world.today + dt.timedelta(45)))
    answer = await c.call(
        "POST api milestone create",
        "POST",
        f"/api/v1/projects/{project.id}/milestones",
        token=manager_token(c),
        payload={
            "title": f"Community information session {c.next_ref('S')}",
            "due_date": due.isoformat(),
            "evidence_required": "Signed attendance list",
            "responsible_organisation_id": c.rng.choice(project.partners),
        },
        expect=201,
    )
    if answer is None:
        return None
    milestone: dict[str, Any] = json.loads(answer.body)
    c.tally.made("milestone", milestone["id"])
    return milestone


async def review(c: Client) -> None:
    token = manager_token(c)
    found = await c.get_json("GET api milestones", "/api/v1/milestones?status=submitted", token)
    if found is None:
        return
    waiting = [m for m in found[0]["items"] if m["project_id"] in _reporting(c)]
    if not waiting:
        return
    ident = c.rng.choice(waiting)["id"]
    got = await c.get_json("GET api milestone", f"/api/v1/milestones/{ident}", token)
    if got is None or got[0]["status"] != "submitted":
        return
    accept = c.rng.random() < ACCEPT_SHARE
    step, target = ("accept", "accepted") if accept else ("return", "returned")
    answer = await c.call(
        f"POST api milestone {step}",
        "POST",
        f"/api/v1/milestones/{ident}/{step}",
        token=token,
        payload={} if accept else {"reason": RETURN_REASON},
        headers={"If-Match": got[1]},
    )
    if answer is not None:
        c.tally.successes["milestone", ident, target] += 1
        if accept:
            c.world.accepted.add(ident)


def _releasable(c: Client, tranche: dict[str, Any]) -> bool:
    gates = c.world.gates.get(tranche["id"])
    return gates is not None and gates <= c.world.accepted


async def tranche(c: Client) -> None:
    token = manager_token(c)
    ours = _reporting(c)
    found = await c.get_json("GET api tranches", "/api/v1/tranches?status=approved", token)
    if found is None:
        return
    approved = [t for t in found[0]["items"] if t["project_id"] in ours]
    if approved:
        payment = {"reference": c.next_ref("PAY")}
        await _step(c, token, c.rng.choice(approved), "pay", payment, ("approved", "paid"))
        return
    found = await c.get_json(
        "GET api tranches", "/api/v1/tranches?status=scheduled&limit=200", token
    )
    if found is None:
        return
    ready = [t for t in found[0]["items"] if t["project_id"] in ours and _releasable(c, t)]
    if ready:
        await _step(c, token, c.rng.choice(ready), "approve", {}, ("scheduled", "approved"))
        return
    await _plan_tranche(c, token, c.rng.choice(c.world.projects))


async def _step(
    c: Client,
    token: str,
    tranche: dict[str, Any],
    step: str,
    payload: dict[str, str],
    move: tuple[str, str],
) -> bool:
    ident = tranche["id"]
    got = await c.get_json("GET api tranche", f"/api/v1/tranches/{ident}", token)
    if got is None or got[0]["status"] != move[0]:
        return False
    answer = await c.call(
        f"POST api tranche {step}",
        "POST",
        f"/api/v1/tranches/{ident}/{step}",
        token=token,
        payload=payload,
        headers={"If-Match": got[1]},
    )
    if answer is None:
        return False
    c.tally.successes["tranche", ident, move[1]] += 1
    return True


async def _plan_tranche(c: Client, token: str, project: ProjectFacts) -> None:
    found = await c.get_json(
        "GET api tranches", f"/api/v1/tranches?project_id={project.id}&limit=200", token
    )
    if found is None:
        return
    items = found[0]["items"]
    committed = sum(Decimal(t["amount"]) for t in items if t["status"] != "cancelled")
    if project.award - committed < TRANCHE_AMOUNT:
        waiting = [t for t in items if t["status"] == "scheduled" and not _releasable(c, t)]
        if not waiting:
            return
        last = max(waiting, key=lambda t: t["position"])
        reason = {"reason": CANCEL_REASON}
        if not await _step(c, token, last, "cancel", reason, ("scheduled", "cancelled")):
            return
    done = await c.get_json(
        "GET api milestones",
        f"/api/v1/milestones?project_id={project.id}&status=accepted&limit=1&sort=-due_date",
        token,
    )
    gates = [m["id"] for m in done[0]["items"]] if done else []
    answer = await c.call(
        "POST api tranche create",
        "POST",
        f"/api/v1/projects/{project.id}/tranches",
        token=token,
        payload={
            "amount": str(TRANCHE_AMOUNT),
            "currency": project.currency,
            "planned_date": c.world.today.isoformat(),
            "gate_milestone_ids": gates,
        },
        expect=201,
        tolerate=RACES | {422},  # another manager took the award's last room first
    )
    if answer is not None:
        ident = json.loads(answer.body)["id"]
        c.tally.made("tranche", ident)
        c.world.gates[ident] = set(gates)
