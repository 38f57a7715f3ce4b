"""The ``gridgov`` command line (命令行).

``gridgov`` is a :class:`flask.cli.FlaskGroup` over :func:`gridgov.create_app`, so Flask's and
Flask-Migrate's commands come with it (``gridgov db upgrade``). :func:`init_app` adds ours to
``app.cli``: the demo and its server, tenants, logins, API tokens, and event files.

Every command runs in an explicit tenancy scope — administration in ``platform_scope``, event
files in the tenant's ``tenant_scope`` — and commits once at the end. Bad input from an
operation prints the field and the reason and exits 1, never a traceback.
"""
from __future__ import annotations

import contextlib
import functools
import io
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy import select

from . import eventfiles
from .config import ConfigError
from .extensions import db
from .models import TENANT_ROLES, Grid, Tenant, User
from .operations import tenants as tenant_ops
from .operations.errors import OperationError
from .tenancy import platform_scope, tenant_scope
from .workdays import seed_official_calendar

DEMO_URL = "http://127.0.0.1:5000/admin"


def error_lines(errors, prefix: str = ""):
    """Flatten an operation's errors (nested dicts and lists of reasons) to (field path, reason)."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            yield from error_lines(value, path)
    elif isinstance(errors, (list, tuple)):
        for item in errors:
            yield from error_lines(item, prefix)
    else:
        yield prefix, str(errors)


def _say_errors(errors, line: int | None = None) -> None:
    where = f"line {line}: " if line is not None else "Error: "
    for path, reason in error_lines(errors):
        click.echo(f"{where}{path}: {reason}" if path else f"{where}{reason}", err=True)


def reports_errors(command):
    """Turn an OperationError into its messages and exit status 1, with nothing committed."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except OperationError as exc:
            db.session.rollback()
            _say_errors(exc.errors)
            raise click.exceptions.Exit(1)

    return wrapper


def find_tenant(slug: str) -> Tenant:
    with platform_scope():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise OperationError({"tenant": [f"no tenant {slug!r}"]})
    return tenant


def find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise OperationError({"username": [f"no user {username!r}"]})
    return user


# -- the demo ------------------------------------------------------------------------------

demo_cli = AppGroup("demo", help="The demonstration tenants, one per bundled plugin.")


@demo_cli.command("load")
@click.option("--reset", is_flag=True, help="Delete the demo tenants and load them afresh.")
@reports_errors
def demo_load(reset: bool) -> None:
    """Load the demo tenants, their grid trees, staff and logins."""
    from .demo import load_demo

    with platform_scope():
        seed_official_calendar()
        credentials = load_demo(reset)
        db.session.commit()
    click.echo(f"Demo loaded. Log in to the console ({DEMO_URL} under `gridgov serve`) as:")
    width = max(len(c["username"]) for c in credentials) + 2
    for c in credentials:
        click.echo(f"  {c['username']:<{width}} password {c['password']:<20} {c['tenant'] or '(all tenants)'}: {c['role']}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the console and the API with Werkzeug's server (the demo; production runs gunicorn).

    Without ``REDIS_URL`` the scheduled jobs (the overdue sweep, plugins' jobs) run in a
    scheduler thread of this process; with it, ``gridgov worker`` processes run them."""
    from werkzeug.serving import run_simple

    from sqlalchemy import inspect

    from .jobs import start_embedded_scheduler

    if not inspect(db.engine).has_table("alembic_version"):
        raise click.ClickException("the database has no schema yet: run `gridgov db upgrade` first")
    start_embedded_scheduler(current_app._get_current_object())
    click.echo(f"Console: http://{host}:{port}/admin   API: http://{host}:{port}/api/v1   (Ctrl+C stops)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)


# -- the working-day calendar ------------------------------------------------------------

calendar_cli = AppGroup("calendar", help="The official working-day calendar (工作日历).")


@calendar_cli.command("seed")
@reports_errors
def calendar_seed() -> None:
    """Store the official calendar for the years the chinese-calendar package covers."""
    with platform_scope():
        years = seed_official_calendar()
        db.session.commit()
    click.echo(f"Seeded {len(years)} year(s): {', '.join(map(str, years)) or 'all were there already'}")


# -- tenants, logins, tokens ---------------------------------------------------------------

tenant_cli = AppGroup("tenant", help="Tenants (租户): districts, bureaus, brigades.")


@tenant_cli.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@click.option("--locale", default="zh_Hans", show_default=True, type=click.Choice(tenant_ops.LOCALES))
@click.option("--plugin", "plugins", multiple=True, help="Enable a plugin (repeat for several).")
@reports_errors
def tenant_create(slug: str, name: str, timezone: str, locale: str, plugins: tuple[str, ...]) -> None:
    """Create tenant SLUG called NAME."""
    with platform_scope():
        tenant = tenant_ops.create_tenant(slug, name, timezone=timezone, locale=locale, plugins=list(plugins))
        db.session.commit()
        click.echo(f"Created tenant {tenant.slug} (id {tenant.id}); plugins: {', '.join(tenant.enabled_plugins) or 'core only'}")


@tenant_cli.command("list")
def tenant_list() -> None:
    """List the tenants."""
    with platform_scope():
        for t in db.session.scalars(select(Tenant).order_by(Tenant.slug)):
            click.echo(f"{t.slug:<24} {t.name:<24} {t.timezone:<16} {t.locale:<8} {','.join(t.enabled_plugins or []) or '-'}")


user_cli = AppGroup("user", help="Logins (用户) and their tenant roles.")
ROLE = click.Choice(sorted(TENANT_ROLES))


@user_cli.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 8 characters; asked for when not given.")
@click.option("--display-name", default="")
@click.option("--tenant", "tenant_slug", help="Make the login a member of this tenant ...")
@click.option("--role", type=ROLE, help="... with this role.")
@click.option("--platform-admin", is_flag=True, help="Manages every tenant.")
@reports_errors
def user_create(username, password, display_name, tenant_slug, role, platform_admin) -> None:
    """Create login USERNAME."""
    if bool(tenant_slug) != bool(role):
        raise click.UsageError("--tenant and --role go together")
    with platform_scope():
        tenant = find_tenant(tenant_slug) if tenant_slug else None
        user = tenant_ops.create_user(username, password, display_name=display_name, platform_admin=platform_admin)
        if tenant is not None:
            tenant_ops.add_membership(tenant, user, role)
        db.session.commit()
    where = f" ({role} of {tenant_slug})" if tenant_slug else ""
    click.echo(f"Created user {username}{where}{' — platform administrator' if platform_admin else ''}")


@user_cli.command("grant")
@click.argument("username")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--role", type=ROLE, required=True)
@reports_errors
def user_grant(username: str, tenant_slug: str, role: str) -> None:
    """Give USERNAME a role in a tenant (replacing the role it had there)."""
    with platform_scope():
        tenant_ops.add_membership(find_tenant(tenant_slug), find_user(username), role)
        db.session.commit()
    click.echo(f"{username} is now {role} of {tenant_slug}")


token_cli = AppGroup("token", help="API tokens for the JSON API (Authorization: Bearer ...).")


@token_cli.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for.")
@reports_errors
def token_create(username: str, name: str) -> None:
    """Issue an API token for USERNAME; it is printed once and only its hash is stored."""
    with platform_scope():
        plain = tenant_ops.issue_token(find_user(username), name)
        db.session.commit()
    click.echo(plain)
    click.echo("Store this token now: it is not shown again.", err=True)


# -- event files ---------------------------------------------------------------------------

events_cli = AppGroup("events", help="Import and export events as JSON Lines or CSV.")
FORMAT = click.Choice(eventfiles.FORMATS)


@contextlib.contextmanager
def _open(path: str, mode: str, encoding: str):
    """A file, or stdin/stdout for ``-``; ``newline=""`` as the csv module wants."""
    if path == "-":
        stream = (sys.stdin if mode == "r" else sys.stdout).buffer
        wrapper = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            yield wrapper
        finally:
            wrapper.flush()
            wrapper.detach()
    else:
        with open(path, mode, encoding=encoding, newline="") as f:
            yield f


@events_cli.command("import")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--format", "fmt", type=FORMAT, help="Default: from the file name (.csv, else jsonl).")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reports_errors
def events_import(tenant_slug: str, fmt: str | None, file: str) -> None:
    """Import the events of FILE (- for stdin): all of them, or none if any row is bad."""
    tenant = find_tenant(tenant_slug)
    fmt = fmt or eventfiles.guess_format(file)
    try:
        with _open(file, "r", "utf-8-sig") as stream, tenant_scope(tenant.id):
            result = eventfiles.import_events(stream, fmt)
            if result.errors:
                db.session.rollback()
            else:
                db.session.commit()
    except (OSError, UnicodeDecodeError) as exc:
        raise OperationError({"file": [str(exc)]})
    for line, errors in result.errors:
        _say_errors(errors, line)
    if result.errors:
        click.echo(f"Nothing imported: {len(result.errors)} bad row(s) in {file}.", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"Imported {result.created} event(s) into {tenant_slug}; {result.present} already present.")


@events_cli.command("export")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--format", "fmt", type=FORMAT, help="Default: from the output name (.csv, else jsonl).")
@click.option("--type", "types", multiple=True, help="Only this event type (repeat for several).")
@click.option("--from", "since", help="From this ISO date or date-time (the tenant's time zone if none given).")
@click.option("--to", "until", help="Up to this date (included) or date-time (excluded).")
@click.option("--grid", "grid_code", help="Only events in the subtree of the grid with this code.")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False, allow_dash=True), show_default=True)
@reports_errors
def events_export(tenant_slug, fmt, types, since, until, grid_code, output) -> None:
    """Export events, newest first, in the body the API and ``events import`` take."""
    tenant = find_tenant(tenant_slug)
    fmt = fmt or eventfiles.guess_format(output)
    # A BOM lets spreadsheet programs read a CSV file's Chinese text as UTF-8.
    encoding = "utf-8-sig" if fmt == "csv" and output != "-" else "utf-8"
    with tenant_scope(tenant.id):
        zone = eventfiles.tenant_zone()
        grid = None
        if grid_code:
            grid = db.session.scalar(select(Grid).where(Grid.code == grid_code))
            if grid is None:
                raise OperationError({"--grid": [f"no grid with code {grid_code!r} in {tenant_slug}"]})
        since = eventfiles.parse_bound(since, zone) if since else None
        until = eventfiles.parse_bound(until, zone, end=True) if until else None
        with _open(output, "w", encoding) as out:
            count = eventfiles.export_events(out, fmt, types=list(types) or None, grid=grid, since=since, until=until)
    click.echo(f"Exported {count} event(s) from {tenant_slug}.", err=True)


# -- wiring --------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    from .jobs.worker import worker_command

    for command in (demo_cli, serve, calendar_cli, tenant_cli, user_cli, token_cli, events_cli):
        app.cli.add_command(command)
    app.cli.add_command(worker_command, "worker")


class GridgovGroup(FlaskGroup):
    """A FlaskGroup that reports an app that cannot start (no SECRET_KEY) as one clear error."""

    def get_command(self, ctx: click.Context, name: str):
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigError as exc:
            click.secho(f"Error: {exc}\n", err=True, fg="red")
            return sorted(click.Group.list_commands(self, ctx))
        return super().list_commands(ctx)


def _create_app() -> Flask:
    from .app import create_app

    return create_app()


def main() -> None:
    GridgovGroup(create_app=_create_app, name="gridgov", help=__doc__.split("\n\n")[0]).main(prog_name="gridgov")
