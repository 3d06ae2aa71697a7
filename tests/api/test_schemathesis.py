"""Schemathesis over every operation of /openapi.json, through the ASGI app (no network), as an
admin and as an authority, on every configured database: no answer is a 5xx, and every answer
is one the document declares (its status, its media type, its schema).

Bounded for CI: a fixed seed, a few examples per operation (valid and invalid ones), no
shrinking, no deadline. The path ids are drawn mostly from rows that exist, so the requests get
past the 404 into the use cases; the rest are generated.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from sqlalchemy import text

from api.app import create_app
from beredskab.activations.models import ActivationStatus
from beredskab.auth.models import TokenRole
from beredskab.auth.service import authenticate
from beredskab.db import make_engine, make_sessionmaker
from beredskab.metadata import utcnow
from tests.conftest import _TABLES, DATABASES, TestDB, make_settings
from tests.factories import (
    make_activation,
    make_active_activation,
    make_allocation,
    make_municipality,
    make_shift,
    make_token,
)
from tests.scenario import AUTH_TOKEN, OUR_NUMBER, seed_directory

CALLERS = {
    "admin": {"role": TokenRole.admin},
    "authority": {"role": TokenRole.authority, "org_id": "odder"},
}
EXAMPLES_PER_OPERATION = 15
SEED = 20240613
# how often a path id is one that exists rather than a generated one
KNOWN_ID_PROBABILITY = 0.7
STREAM_READ_S = 0.3


@dataclass
class Fuzzed:
    schema: schemathesis.BaseSchema
    headers: dict[str, str]


async def _prepare(kind: str, url: str, caller: dict) -> tuple[str, dict[str, list]]:
    """A clean database with a directory, two activations, a shift with an allocation; returns
    the caller's token and the ids that exist, by path parameter."""
    engine = make_engine(url)
    try:
        if kind == "postgresql":
            async with engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
        async with make_sessionmaker(engine)() as session:
            await seed_directory(session)
            await session.commit()
            active = await make_active_activation(session)
            requested = await make_activation(
                session, authority_id="odder", status=ActivationStatus.requested
            )
            await make_activation(session, authority_id="region-x", status=ActivationStatus.active)
            municipality = await make_municipality(session, 0)
            shift = await make_shift(session, active, utcnow() + timedelta(days=1))
            allocation = await make_allocation(session, shift, municipality.id, 2)
            token = await make_token(session, **caller)
            spare = await make_token(session, TokenRole.finance)  # for the admin to revoke
            known = {
                "activation_id": [active.id, requested.id],
                "shift_id": [shift.id],
                "allocation_id": [allocation.id],
                "org_id": ["odder", "region-x", municipality.id],
                "person_id": ["leader0", "steer0"],
                "token_id": [await _token_id(session, spare)],
            }
            return token, known
    finally:
        await engine.dispose()


async def _token_id(session, plaintext: str) -> int:  # noqa: ANN001
    principal = await authenticate(session, plaintext)
    assert principal is not None
    return principal.token_id


def _config(known: dict[str, list]) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "no-shrink": True,
                "database": "none",
                # the caller's token is sent with every request; the 401s are tested elsewhere
                "with-security-parameters": False,
            },
            "dictionaries": {name: {"values": values} for name, values in known.items()},
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": KNOWN_ID_PROBABILITY}
                for name in known
            },
            "checks": {
                "enabled": False,
                "not_a_server_error": {"enabled": True},
                "status_code_conformance": {"enabled": True},
                "content_type_conformance": {"enabled": True},
                "response_schema_conformance": {"enabled": True},
            },
            "request-timeout": 30,
        }
    )


@pytest.fixture(scope="module", params=[(k, c) for k in DATABASES for c in CALLERS], ids="-".join)
def fuzzed(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_templates: dict[str, str],
) -> Iterator[Fuzzed]:
    kind, caller = request.param
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("schemathesis") / "test.db"
        shutil.copyfile(migrated_templates["sqlite"], path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = migrated_templates["postgresql"]
    token, known = asyncio.run(_prepare(kind, url, CALLERS[caller]))
    db = TestDB(kind, url, None, None)  # type: ignore[arg-type]  # make_settings reads the url
    app = create_app(make_settings(db, twilio_auth_token=AUTH_TOKEN, twilio_from=OUR_NUMBER))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=_config(known))
    yield Fuzzed(schema, {"Authorization": f"Bearer {token}"})
    asgi.shutdown_lifespans()  # the app's lifespan ran on schemathesis' event loop: end it there


def _exercise(operation, headers: dict[str, str], statuses: Counter) -> list[str]:  # noqa: ANN001
    """Send the operation's examples, valid and invalid; returns what schemathesis found, and
    any 5xx the operation does not declare."""
    # the log's live stream never ends: schemathesis keeps the events sent before the timeout
    declared = operation.definition.raw["responses"]
    timeout = STREAM_READ_S if "text/event-stream" in str(declared.get("200")) else None
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    failures: list[str] = []

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: schemathesis.Case) -> None:
        response = case.call(headers=headers, timeout=timeout)
        statuses[response.status_code] += 1
        if response.status_code >= 500 and str(response.status_code) not in declared:
            failures.append(f"{response.status_code}: {response.text}")
        try:
            case.validate_response(response, headers=headers)
        except FailureGroup as exc:
            failures.append(str(exc))

    send()
    return failures


def test_every_operation_keeps_the_promises_of_its_openapi(fuzzed: Fuzzed) -> None:
    statuses: Counter = Counter()
    failures: dict[str, list[str]] = {}
    operations = 0
    for result in fuzzed.schema.get_all_operations():
        operation = result.ok()
        operations += 1
        found = _exercise(operation, fuzzed.headers, statuses)
        if found:
            failures[operation.label] = found
    print(
        f"\nschemathesis: {operations} operations, {sum(statuses.values())} requests, "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    assert operations > 60
    # a 5xx is a failure unless declared: /readyz's 503 when the database is not at the head
    assert not failures, "\n\n".join(f"{op}:\n" + "\n".join(f[:2]) for op, f in failures.items())
