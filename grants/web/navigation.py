"""The site's main menu: what each role may open, and which entry is the current page."""

from __future__ import annotations

from dataclasses import dataclass

from grants.i18n import _
from grants.services.access import Principal, works_as_manager


@dataclass(frozen=True)
class NavItem:
    """One entry of the main menu."""

    label: str
    href: str
    current: bool


def home_of(principal: Principal) -> str:
    """Return where the principal's work starts: the dashboard, the portal or the donor view."""
    if works_as_manager(principal):
        return "/"
    if principal.partner_org_ids:
        return "/portal"
    if principal.donor_org_ids:
        return "/donor"
    return "/projects"


def _entries(principal: Principal) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    if works_as_manager(principal):
        entries += [
            (_("Dashboard"), "/"),
            (_("Projects"), "/projects"),
            (_("Programmes"), "/programmes"),
            (_("Organisations"), "/organisations"),
            (_("Import and export"), "/exchange"),
        ]
    if principal.partner_org_ids:
        entries.append((_("My projects"), "/portal"))
    if principal.donor_org_ids:
        entries.append((_("Portfolio"), "/donor"))
    if not entries:
        entries.append((_("Projects"), "/projects"))
    return entries


def menu(principal: Principal, path: str) -> list[NavItem]:
    """Return the menu for ``principal``; the entry whose section holds ``path`` is current."""
    entries = _entries(principal)
    best = max((href for _label, href in entries if _within(path, href)), key=len, default=None)
    return [NavItem(label, href, href == best) for label, href in entries]


def _within(path: str, href: str) -> bool:
    if href == "/":
        return path == "/"
    return path == href or path.startswith(href + "/") or path.startswith(href + ".")
