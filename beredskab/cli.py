"""The `beredskab` command: migrate, serve, worker, directory, token."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from beredskab.auth.models import TokenRole
from beredskab.errors import DomainError
from beredskab.settings import ConfigurationError, Settings, get_settings

T = TypeVar("T")

app = typer.Typer(
    help="DDH Beredskab: crisis activation for Den Digitale Hotline.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens (stored hashed; shown once).", no_args_is_help=True)
directory_app = typer.Typer(help="The directory of people and organisations.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(directory_app, name="directory")


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ConfigurationError as exc:
        typer.echo(str(exc.code), err=True)
        raise typer.Exit(2) from None


def playbook_or_exit(settings: Settings) -> None:
    """An invalid playbook stops start-up with every problem and its path."""
    from beredskab.playbook_file import PlaybookError, load_playbook

    try:
        load_playbook(settings.playbook)
    except PlaybookError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def run_with_session(fn: Callable[..., Awaitable[T]]) -> T:
    """Run `fn(session)` in a fresh session; domain errors exit 1 with their text.

    Like a router, a command only translates: the service function it calls commits."""
    # every table mapped, with the listeners they carry (auth.models signs out a person whom a
    # directory import deactivates)
    from beredskab import models  # noqa: F401
    from beredskab.db import make_engine, make_sessionmaker

    settings = settings_or_exit()

    async def _main() -> T:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return await fn(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(_main())
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None


@app.command()
def migrate() -> None:
    """Upgrade the database to the newest schema."""
    from beredskab.migrations_support import upgrade_to_head

    settings = settings_or_exit()
    upgrade_to_head(settings.database_url)
    typer.echo("database is at head")


_GC_YOUNG = 20_000  # new container objects between collections of the youngest generation


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    worker: Annotated[bool, typer.Option(help="run scheduler and dispatcher in-process")] = True,
) -> None:
    """Serve the API (and, unless --no-worker, the scheduler and SMS dispatcher)."""
    import uvicorn

    from api.app import create_app

    settings = settings_or_exit().model_copy(update={"run_worker_in_process": worker})
    playbook_or_exit(settings)
    api = create_app(settings)
    _tune_gc()
    uvicorn.run(api, host=host, port=port, log_level=settings.log_level.lower())


def _tune_gc() -> None:
    """Garbage collection for a long-running server.

    What lives as long as the process (modules, the app, its routes and models: some 200,000
    objects) is moved out of the collector's sight; otherwise every full collection walks them
    all, about 0.1 s each time, and a request that builds many objects (the finance report over
    a year) sets off several. And the youngest generation is collected after 20,000 new objects
    instead of 700: a year's report went through ~400 collections, each promoting the rows in
    hand, which set off the full ones. Cyclic garbage still goes, a little later.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(_GC_YOUNG, *gc.get_threshold()[1:])


@directory_app.command("import")
def directory_import(path: Path) -> None:
    """Import (sync) a directory file; a file with any error imports nothing."""
    from typing import NoReturn

    from beredskab.directory.sync import import_directory
    from beredskab.directory.yamlformat import parse_directory_yaml
    from beredskab.errors import InvalidInput

    def refuse(exc: InvalidInput) -> NoReturn:
        typer.echo(f"{path}: {len(exc.problems)} problem(s); nothing was imported:", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)

    try:
        data = parse_directory_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        typer.echo(f"error: cannot read {path}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    except InvalidInput as exc:
        refuse(exc)

    async def _import(session):  # noqa: ANN001, ANN202
        try:
            return await import_directory(session, data, str(path))
        except InvalidInput as exc:
            return exc

    result = run_with_session(_import)
    if isinstance(result, InvalidInput):
        refuse(result)
    typer.echo(f"{path}: {result}")


@directory_app.command("export")
def directory_export(
    path: Annotated[str, typer.Argument(help="file, or - for stdout")] = "-",
) -> None:
    """Write the directory in the import format (export then import changes nothing)."""
    from beredskab.directory.sync import export_directory
    from beredskab.directory.yamlformat import dump_directory_yaml

    text = dump_directory_yaml(run_with_session(export_directory))
    if path == "-":
        typer.echo(text, nl=False)
    else:
        Path(path).write_text(text, encoding="utf-8")
        typer.echo(f"directory written to {path}")


@directory_app.command("check")
def directory_check() -> None:
    """Readiness: every gap that would hurt on the night; exit 1 if there are any."""
    from beredskab.directory.readiness import readiness

    result = run_with_session(readiness)
    if result.ready:
        typer.echo("ready: every role has a primary and its deputies; every contact is in place")
        return
    typer.echo(f"NOT READY: {len(result.gaps)} gap(s)")
    for gap in result.gaps:
        typer.echo(f"  {gap.kind} [{gap.subject}]: {gap.detail}")
    raise typer.Exit(1)


@app.command()
def worker() -> None:
    """Run the scheduler and the SMS/callback dispatcher without the API (for extra replicas)."""
    import logging

    from beredskab.runtime import run_worker

    settings = settings_or_exit()
    playbook_or_exit(settings)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    _tune_gc()
    asyncio.run(run_worker(settings))


log_app = typer.Typer(help="The activation event log.", no_args_is_help=True)
app.add_typer(log_app, name="log")


@log_app.command("verify")
def log_verify(ref: str) -> None:
    """Recompute the hash chain of an activation's log (by reference or id); exit 1 if broken."""
    from beredskab.eventlog.service import verify_log_by_reference

    result = run_with_session(lambda session: verify_log_by_reference(session, ref))
    if result.ok:
        typer.echo(f"ok: {result.entries} entries, chain intact")
        return
    typer.echo(f"BROKEN: {result.entries} entries, first bad seq {result.first_bad_seq}")
    raise typer.Exit(1)


@token_app.command("create")
def token_create(
    role: TokenRole,
    org: Annotated[str | None, typer.Option(help="organisation id (authority tokens)")] = None,
    person: Annotated[str | None, typer.Option(help="person id the token acts as")] = None,
    label: str = "",
    expires: Annotated[
        str | None,
        typer.Option(
            help="last valid date (2027-01-31, through that local day), a lifetime (90d, 12h, "
            "4w) or an instant; without it the token never expires"
        ),
    ] = None,
) -> None:
    """Create a token and print it once."""
    from beredskab.auth.expiry import parse_expiry
    from beredskab.auth.service import create_token
    from beredskab.metadata import utcnow

    tz = settings_or_exit().tz

    async def _create(session):  # noqa: ANN001, ANN202
        now = utcnow()
        expires_at = parse_expiry(expires, now, tz) if expires else None
        plaintext, row = await create_token(
            session, role, org_id=org, person_id=person, label=label, expires_at=expires_at, now=now
        )
        return plaintext, row.id

    plaintext, token_id = run_with_session(_create)
    typer.echo(f"token {token_id} ({role.value}); store it now, it is not shown again:")
    typer.echo(plaintext)


@token_app.command("list")
def token_list() -> None:
    """List tokens (never their secrets): id, prefix, role, organisation, person, state,
    expiry, last use (up to a minute stale), label. Times are local, with their offset."""
    from beredskab.auth.service import list_tokens
    from beredskab.metadata import utcnow

    tz, now = settings_or_exit().tz, utcnow()

    def when(at: datetime | None) -> str:
        return at.astimezone(tz).isoformat(timespec="minutes") if at else "-"

    for t in run_with_session(list_tokens):
        expired = t.expires_at is not None and t.expires_at <= now
        state = "revoked" if t.revoked_at else "expired" if expired else "active"
        cols = [t.id, f"{t.prefix}…", t.role, t.org_id or "-", t.person_id or "-", state]
        cols += [f"expires {when(t.expires_at)}", f"last used {when(t.last_used_at)}", t.label]
        typer.echo("\t".join(str(c) for c in cols))


@token_app.command("demo")
def token_demo(
    file: Annotated[Path, typer.Option(help="where the plaintext is kept between runs")] = Path(
        ".demo-token"
    ),
) -> None:
    """The demo's admin token (`make run`): the one kept in FILE while it works, else a new one
    (living 30 days) written there with mode 600. Prints it."""
    from beredskab.auth.service import demo_token

    kept = file.read_text(encoding="utf-8").strip() if file.is_file() else None
    plaintext, new = run_with_session(lambda session: demo_token(session, kept))
    if new:
        # created with mode 600, and made so if it existed: the token is an admin's
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(plaintext + "\n")
    typer.echo(f"admin token for the demo ({'new, ' if new else ''}kept in {file}):")
    typer.echo(plaintext)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token by id."""
    from beredskab.auth.service import revoke_token

    run_with_session(lambda session: revoke_token(session, token_id))
    typer.echo(f"token {token_id} revoked")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
