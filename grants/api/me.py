"""Who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from grants.api.common import READ_ERRORS
from grants.api.deps import ApiPrincipal
from grants.http.deps import ReadDB
from grants.models import User
from grants.services.common import get_or_404

router = APIRouter()


class Me(BaseModel):
    id: int
    email: str
    full_name: str
    is_admin: bool
    organisations: dict[str, list[int]]


@router.get("/me", response_model=Me, responses={401: READ_ERRORS[401]})
def me(principal: ApiPrincipal, db: ReadDB) -> Me:
    """Return the token owner's identity and the organisations of each of their roles."""
    user = get_or_404(db, User, principal.user_id or 0, "User")
    return Me(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_admin=principal.is_admin,
        organisations={
            "grant_manager": sorted(principal.manager_org_ids),
            "donor": sorted(principal.donor_org_ids),
            "partner_editor": sorted(principal.editor_org_ids),
            "partner_viewer": sorted(principal.viewer_org_ids),
        },
    )
