"""Sign in, sign out and change one's password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from grants.http.deps import (
    Public,
    SignedIn,
    WriteDB,
    cookie_name,
    current,
    now,
    secure_cookies,
    settings_of,
)
from grants.i18n import _
from grants.services import sessions
from grants.services.errors import Invalid
from grants.web.deps import LOGIN_CSRF_COOKIE, CsrfProtected, login_csrf_token, safe_next
from grants.web.templating import templates

router = APIRouter()


def _login_page(request: Request, status: int = 200, **context: object) -> Response:
    token = login_csrf_token(request)
    response = templates().TemplateResponse(
        request, "login.html", {"csrf_token": token, **context}, status_code=status
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: Public, next: str = "/") -> Response:
    """Show the sign-in form (or go on, when already signed in)."""
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next=safe_next(next))


@router.post("/login", dependencies=[CsrfProtected])
def login(
    request: Request,
    principal: Public,
    db: WriteDB,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Sign in: a new session id every time; one message for any wrong credentials."""
    client = request.client.host if request.client else "unknown"
    result = sessions.sign_in(db, email, password, client, settings_of(request), now())
    if result.retry_after:
        db.commit()
        response = _login_page(
            request,
            429,
            email=email,
            next=safe_next(next),
            error=_("Too many failed attempts; try again in a few minutes."),
        )
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if not result.ok or result.raw_token is None:
        db.commit()
        return _login_page(
            request,
            400,
            email=email,
            next=safe_next(next),
            error=_("Unknown email or wrong password."),
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        cookie_name(request),
        result.raw_token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", dependencies=[CsrfProtected])
def logout(request: Request, principal: SignedIn, db: WriteDB) -> Response:
    """End this session on the server, then forget the cookie."""
    raw = request.cookies.get(cookie_name(request))
    if raw:
        sessions.sign_out(db, raw, now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(cookie_name(request), path="/")
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, principal: SignedIn, changed: bool = False) -> Response:
    """Show the change-password form."""
    found = current(request)
    token = found[1].csrf_token if found else ""
    return templates().TemplateResponse(
        request, "password.html", {"csrf_token": token, "changed": changed}
    )


@router.post("/account/password", dependencies=[CsrfProtected])
def change_password(
    request: Request,
    principal: SignedIn,
    db: WriteDB,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    """Change the password; other sessions of the user end."""
    found = current(request)
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors["confirm_password"] = _("The two new passwords differ.")
    else:
        try:
            sessions.change_password(
                db,
                principal,
                current_password,
                new_password,
                now(),
                keep_session=found[1].id if found else None,
            )
        except Invalid as error:
            errors[error.field or "new_password"] = error.reason
    if errors:
        db.rollback()
        return templates().TemplateResponse(
            request,
            "password.html",
            {"csrf_token": found[1].csrf_token if found else "", "errors": errors},
            status_code=422,
        )
    return RedirectResponse("/account/password?changed=true", status_code=303)
