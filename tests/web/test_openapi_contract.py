"""The admin API keeps the contract its OpenAPI document states, tried as a new user's generated
client would: schemathesis reads /api/v1/openapi.json from a running server, generates valid and
invalid requests for every operation, sends them with real credentials, and checks that none gets
a 5xx and that every status, content type and body is one the document declares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, Tenant
from waypost.tenancy.keys import KeyKind, active_keys
from waypost.tenancy.members import find_user

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Cases per operation, valid and invalid mixed: 20 keeps the run near half a minute on a busy
# two-core machine as the API grows (about 30 operations).
EXAMPLES = 20


class Callers:
    """The run's two ways in: the app's secret key, and its owner's console session for the
    workspace routes, which secret keys may not use (they would only ever see 403)."""

    def __init__(self, base_url: str, secret_key: str, owner_email: str) -> None:
        self.key = requests.Session()
        self.key.headers["Authorization"] = f"Bearer {secret_key}"
        self.owner = requests.Session()
        form = self.owner.get(f"{base_url}/console/login").text
        signed_in = self.owner.post(
            f"{base_url}/console/login",
            data={"email": owner_email, "password": PASSWORD, "csrf_token": _csrf(form)},
        )
        self.owner.headers["X-CSRF-Token"] = _csrf(signed_in.text)

    def for_operation(self, operation: Any) -> requests.Session:
        """The owner's session for workspace routes, the secret key for the rest."""
        workspace_route = operation.path.startswith("/api/v1/workspaces/") or (
            operation.method.upper() == "POST" and operation.path == "/api/v1/apps"
        )
        return self.owner if workspace_route else self.key

    def follow(self, case: schemathesis.Case, response: requests.Response) -> None:
        """Keep authenticating after a generated rotation with no grace period ends the key."""
        rotated = case.operation.path.endswith("/keys/rotate") and response.status_code == 201
        if rotated and response.json()["kind"] == KeyKind.SECRET:
            self.key.headers["Authorization"] = f"Bearer {response.json()['value']}"


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _aim(case: schemathesis.Case, use_real_ids: bool, real_ids: dict[str, str]) -> Any:
    # Generated ids only ever reach 404; half the cases name the tenant's real objects instead,
    # so the success answers are generated and checked too.
    if use_real_ids:
        for part in (case.path_parameters, case.query):
            if part:
                for name in part.keys() & real_ids.keys():
                    part[name] = real_ids[name]
    return case


def _strategy(operation: Any, real_ids: dict[str, str]) -> st.SearchStrategy[Any]:
    modes = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    return st.tuples(st.one_of(modes), st.booleans()).map(
        lambda pair: _aim(pair[0], pair[1], real_ids)
    )


def _run_operation(
    operation: Any, base_url: str, callers: Callers, real_ids: dict[str, str], seen: Counter[int]
) -> Callable[[], None]:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    @hypothesis.given(case=_strategy(operation, real_ids))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, session=callers.for_operation(operation))
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)
        callers.follow(case, response)

    return run


def _real_ids(live_server: str, tenant: Tenant, db: Session) -> dict[str, str]:
    """Ids of objects that exist, for the cases that name real ones."""
    sent = requests.post(
        f"{live_server}/v1/track",
        json={"writeKey": tenant.app.write_key, "event": "Signed Up", "userId": "u1"},
    )
    assert sent.status_code == 200, sent.text
    with db.begin():
        owner = find_user(db, tenant.owner_email)
        write_key = next(k for k in active_keys(db, tenant.app_id) if k.kind == KeyKind.WRITE)
        assert owner is not None
        return {
            "app_id": tenant.app_id,
            "workspace_id": tenant.workspace_id,
            "user_id": owner.id,
            "key_id": write_key.id,  # not the secret key the run authenticates with
            "person": "u1",
        }


@pytest.mark.slow
@pytest.mark.parametrize("metadata_url", ["sqlite"], indirect=True)
def test_every_operation_keeps_the_openapi_contract(
    live_server: str, make_tenant: Callable[[str], Tenant], db: Session
) -> None:
    tenant = make_tenant("Acme")
    real_ids = _real_ids(live_server, tenant, db)
    callers = Callers(live_server, tenant.app.secret_key, tenant.owner_email)
    schema = schemathesis.openapi.from_url(f"{live_server}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    failures: dict[str, str] = {}
    statuses: dict[str, Counter[int]] = {}
    for operation in operations:
        seen = statuses[operation.label] = Counter()
        try:
            _run_operation(operation, live_server, callers, real_ids, seen)()
        # Schemathesis reports check failures as a BaseExceptionGroup; every operation is tried
        # and all failures are reported together.
        except (Exception, BaseExceptionGroup) as exc:
            failures[operation.label] = f"{type(exc).__name__}: {exc}"
    assert not failures, "\n\n".join(f"{label}\n{failure}" for label, failure in failures.items())
    # The run reached past authentication to real answers, not only refusals.
    succeeded = {label for label, seen in statuses.items() if any(200 <= s < 300 for s in seen)}
    assert len(succeeded) >= 10, statuses
