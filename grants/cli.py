"""The ``grants`` command: database, demo data, server and users."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer

from grants import db
from grants.cli_common import fail, parse_date, reported_errors
from grants.cli_exchange import export_app, import_app
from grants.cli_reports import report_app
from grants.config import get_settings
from grants.models import Role, UserCreate

app = typer.Typer(
    help="Track city grants: milestones, tranches, budgets and donor reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the schema migrations to GRANTS_DATABASE_URL."""
    db.upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {db.safe_url(get_settings().database_url)} is at revision {revision}")


@app.command()
def demo(
    today: Annotated[
        str | None, typer.Option(help="Lay dates out around this day (YYYY-MM-DD).")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Delete all existing data first.")] = False,
) -> None:
    """Load a realistic demo programme (fictional data) modelled on MC2CM."""
    from grants.demo import load_demo

    day = parse_date(today, "--today") or get_settings().today or dt.date.today()  # noqa: DTZ011
    settings = get_settings()
    db.upgrade(settings.database_url)
    with reported_errors():
        counts = load_demo(db.make_engine(settings.database_url, settings), day, reset=reset)
    summary = ", ".join(f"{n} {name}" for name, n in counts.items())
    typer.echo(f"demo data laid out around {day.isoformat()}: {summary}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
) -> None:
    """Run the web application with uvicorn."""
    import uvicorn

    with reported_errors():
        try:
            get_settings().check_production()
        except RuntimeError as error:
            fail(str(error))
    uvicorn.run(
        "grants.app:serving_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
    )


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="The person's email address (their login).")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    organisation: Annotated[
        str | None, typer.Option(help="Reference of their organisation.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Full name (default: the email).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user; the password is prompted for (or read from stdin), never an argument."""
    from grants.services import programmes, users
    from grants.services.access import SYSTEM

    password = read_password(password_stdin)
    with reported_errors(), db.write_session(db.make_engine()) as session:
        org = programmes.organisation_by_ref(session, organisation) if organisation else None
        data = UserCreate(email=email, full_name=name or email, password=password)
        user = users.create_user(session, SYSTEM, data, role, org)
        typer.echo(f"added {user.email} as {role.value}" + (f" of {org.ref}" if org else ""))


def read_password(from_stdin: bool) -> str:
    """Return a password read from stdin or an interactive prompt with confirmation."""
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        fail("password: no password given")
    return password


@user_app.command("deactivate")
def user_deactivate(
    email: Annotated[str, typer.Argument(help="The user to deactivate.")],
) -> None:
    """Stop a user from signing in; their sessions end and their API tokens are revoked."""
    from grants.models import utcnow
    from grants.services import sessions, users
    from grants.services.access import SYSTEM

    with reported_errors(), db.write_session(db.make_engine()) as session:
        user = users.user_by_email(session, email)
        sessions.deactivate_user(session, SYSTEM, user, utcnow())
        typer.echo(f"deactivated {user.email}")


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Argument(help="Whose token it is.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    expires: Annotated[int | None, typer.Option(help="Days until it expires.", min=1)] = None,
) -> None:
    """Create an API token and print it; it is shown this once and stored only hashed."""
    from grants.models import utcnow
    from grants.services import tokens, users
    from grants.services.access import SYSTEM

    with reported_errors(), db.write_session(db.make_engine()) as session:
        user = users.user_by_email(session, email)
        raw, token = tokens.create_token(session, SYSTEM, user, name, utcnow(), expires)
        session.flush()
        typer.echo(
            f"token {token.id} for {user.email}"
            + (f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "")
            + " (shown once; keep it secret):",
            err=True,
        )
        typer.echo(raw)


@token_app.command("list")
def token_list(email: Annotated[str, typer.Argument(help="Whose tokens to list.")]) -> None:
    """List a user's tokens: id, name, prefix, created, expires, last used, revoked."""
    from grants.services import tokens, users

    with reported_errors(), db.read_session(db.make_engine()) as session:
        for token in tokens.tokens_of(session, users.user_by_email(session, email)):
            typer.echo(
                "\t".join(
                    str(value or "-")
                    for value in (
                        token.id,
                        token.name,
                        token.prefix,
                        token.created_at,
                        token.expires_at,
                        token.last_used_at,
                        token.revoked_at,
                    )
                )
            )


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke an API token: it is refused from now on."""
    from grants.models import utcnow
    from grants.services import tokens
    from grants.services.access import SYSTEM

    with reported_errors(), db.write_session(db.make_engine()) as session:
        token = tokens.revoke_token(session, SYSTEM, token_id, utcnow())
        typer.echo(f"revoked token {token.id} ({token.prefix}...)")


# Last, so that the help lists them after the commands above, as it always has.
app.add_typer(report_app, name="report")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
