"""The load benchmark's reads: API lists and details, pages and downloads, each as the
user who would read them (see ``_load_mix`` for the mix)."""

from __future__ import annotations

from _load_client import Client, manager_token
from _load_setup import DONOR, MANAGERS


async def api_read(c: Client) -> None:
    w, p = c.world, c.rng.choice(c.world.projects)
    partner = w.tokens[p.editors[c.rng.choice(p.partners)]]
    label, path, token = c.rng.choice(
        [
            ("GET api projects", "/api/v1/projects?status=active&limit=50", manager_token(c)),
            ("GET api project", f"/api/v1/projects/{p.id}", partner),
            ("GET api project figures", f"/api/v1/projects/{p.id}/figures", manager_token(c)),
            ("GET api figures", "/api/v1/figures", w.tokens[DONOR]),
            ("GET api milestones", f"/api/v1/milestones?project_id={p.id}", partner),
            ("GET api expenses", f"/api/v1/expenses?project_id={p.id}&limit=50", partner),
            ("GET api tranches", f"/api/v1/tranches?project_id={p.id}", manager_token(c)),
            ("GET api attachments", f"/api/v1/attachments?project_id={p.id}", partner),
        ]
    )
    await c.call(label, "GET", path, token=token)


async def web_read(c: Client) -> None:
    w = c.world
    project, partner = c.rng.choice(w.web_partners)
    manager = w.cookies[c.rng.choice(MANAGERS)]
    label, path, cookie = c.rng.choice(
        [
            ("GET web dashboard", "/", manager),
            ("GET web project list", "/projects", manager),
            ("GET web project", f"/projects/{project.id}", manager),
            ("GET web project", f"/projects/{project.id}", w.cookies[partner]),
            ("GET web portal", "/portal", w.cookies[partner]),
            ("GET web donor", "/donor", w.cookies[DONOR]),
        ]
    )
    await c.call(label, "GET", path, cookie=cookie)


DOWNLOADS = [  # label, path ("{programme}" filled in), whose session, weight
    ("GET web projects.csv", "/projects.csv", "manager", 3),
    ("GET web projects.xlsx", "/projects.xlsx", "manager", 1),
    ("GET web export.xlsx", "/exchange/export.xlsx", "manager", 0.25),
    ("GET web donor projects.csv", "/donor/programmes/{programme}/projects.csv", "donor", 2),
    ("GET web portal due.csv", "/portal/due.csv", "partner", 2),
]


async def download(c: Client) -> None:
    w = c.world
    if c.rng.random() < 0.4:
        ident, owner = c.rng.choice(w.attachments)
        facts = w.project(owner)
        token = w.tokens[facts.editors[facts.partners[0]]]
        path = f"/api/v1/attachments/{ident}/content"
        await c.call("GET api evidence file", "GET", path, token=token)
        return
    label, path, whose, _weight = c.rng.choices(DOWNLOADS, [d[3] for d in DOWNLOADS])[0]
    email = {
        "manager": c.rng.choice(MANAGERS),
        "donor": DONOR,
        "partner": c.rng.choice(w.web_partners)[1],
    }[whose]
    target = path.format(programme=w.programme_id)
    await c.call(label, "GET", target, cookie=w.cookies[email])
