"""Fuzz the server against its own OpenAPI spec (schemathesis).

Every generated request, valid or not, must get no 5xx, a status code the spec documents,
and a body and content type matching what the spec documents for that status. Three runs:
the admin key on generated ids; each account's key on a seeded world's real ids (so bodies
reach the handlers); and a stateful run along the spec's links (create, then use the id).
A fixed seed and example budget keep every run the same and its time bounded.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from promovolve.api.app import create_app
from promovolve.settings import Settings
from tests.api.dbutil import BACKENDS, PG_URL, drop_schema, new_schema, require_pg
from tests.api.harness import ADMIN_KEY, bearer

Case = schemathesis.Case[APIOperation[Any, Any, Any, Any]]

SEED = 20261201
# The CI budget per operation; a deeper local hunt: PROMOVOLVE_FUZZ_EXAMPLES=500.
EXAMPLES = int(os.environ.get("PROMOVOLVE_FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,  # bad input gets a 4xx
    missing_required_header,
    unsupported_method,
    allow_header_conformance,  # a 405 names every method the path serves
    ignored_auth,  # a management call without a key is refused
    ensure_resource_availability,  # stateful: what a 201 created can be fetched
    use_after_free,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            # Each run sends its own key; a generated or removed Authorization header would
            # be overridden by it, turning a "negative" case into a valid one.
            "with-security-parameters": False,
            # Unknown query parameters are ignored (as FastAPI does), not refused.
            "allow-extra-parameters": False,
        },
        # A body over the size limit is refused with 413 before it is read: a rejection too.
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": ["400", "401", "403", "404", "405", "409", "413", "422"]
            }
        },
    }
)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=False,  # the seed decides, also under CI's profile (which derandomizes)
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, not shrunk
    suppress_health_check=list(HealthCheck),
)
# The spec of an app that is never started: the spec needs no runtime.
schema = schemathesis.openapi.from_dict(
    create_app(Settings(data_dir=Path("unused"), admin_key=ADMIN_KEY)).openapi(), config=CONFIG
)
# Ids of the world the account runs use, by path parameter.
WORLD_IDS = {
    "publisherId": "pub-1",
    "siteId": "site-1",
    "advertiserId": "adv-1",
    "campaignId": "cmp-1",
    "creativeId": "cr-1",
}


def _positive(case: Case) -> bool:
    """Whether the case was generated to be valid (a negative one breaks the schema)."""
    return case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE


class LiveServer:
    """The real app on uvicorn in a thread, on a loopback port."""

    def __init__(self, settings: Settings) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        app = create_app(settings)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.keys: dict[str, str] = {"admin": ADMIN_KEY}

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    def seed_world(self) -> None:
        """One publisher's site and one advertiser's campaign with an approved creative."""
        with httpx.Client(base_url=self.url, timeout=10) as http:

            def create(path: str, body: dict[str, Any], key: str) -> Any:
                r = http.post(path, json=body, headers=bearer(key))
                assert r.status_code == 201, r.text
                return r.json()

            pub = create("/v1/publishers", {"id": "pub-1", "name": "Pub"}, ADMIN_KEY)["apiKey"]
            adv = create("/v1/advertisers", {"id": "adv-1", "name": "Adv"}, ADMIN_KEY)["apiKey"]
            create("/v1/publishers/pub-1/sites", {"id": "site-1", "domain": "example.com"}, pub)
            campaign = {"id": "cmp-1", "name": "C", "dailyBudget": "50", "cpm": 2.5}
            create("/v1/advertisers/adv-1/campaigns", campaign, adv)
            creative = {
                "id": "cr-1",
                "assetUrl": "https://cdn.example.net/a.png",
                "landingUrl": "https://shop.example.org/",
                "width": 300,
                "height": 250,
            }
            create("/v1/advertisers/adv-1/campaigns/cmp-1/creatives", creative, adv)
            r = http.post(
                "/v1/publishers/pub-1/sites/site-1/approvals/cr-1/approve", headers=bearer(pub)
            )
            assert r.status_code == 200, r.text
        self.keys.update(publisher=pub, advertiser=adv)


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The server on a fresh SQLite file, then on a fresh PostgreSQL schema."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("fuzz"), admin_key=ADMIN_KEY)
    schema_name = None
    if request.param == "postgresql":
        require_pg()
        schema_name = new_schema()
        settings = settings.model_copy(
            update={"database_url": PG_URL, "database_schema": schema_name}
        )
    server = LiveServer(settings)
    server.start()
    try:
        server.seed_world()
        yield server
    finally:
        server.stop()
        if schema_name is not None:
            drop_schema(schema_name)


@schema.parametrize()
@FUZZ
@hypothesis_seed(SEED)
def test_admin_on_generated_ids(case: Case, live: LiveServer) -> None:
    case.call_and_validate(base_url=live.url, headers=bearer(ADMIN_KEY), checks=CHECKS)


@pytest.mark.parametrize("role", ["publisher", "advertiser"])
@schema.parametrize()
@FUZZ
@hypothesis_seed(SEED)
def test_accounts_on_the_seeded_world(case: Case, live: LiveServer, role: str) -> None:
    if case.path_parameters:
        case.path_parameters.update(
            {k: v for k, v in WORLD_IDS.items() if k in case.path_parameters}
        )
    if case.path == "/v1/serve" and _positive(case) and isinstance(case.body, dict):
        # A page of the seeded site, so the fuzzed slots and context reach the engine.
        case.body.update(siteId="site-1", url="https://example.com/page")
    case.call_and_validate(base_url=live.url, headers=bearer(live.keys[role]), checks=CHECKS)


def test_stateful_along_the_links(live: LiveServer) -> None:
    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case) -> None:
            # The server names what it creates, so a replayed step creates again instead of
            # meeting a 409 from an earlier example: each step's answer is the same each run.
            # (A negative case is refused whatever its id, so it keeps the id it was given.)
            if case.method == "POST" and _positive(case) and isinstance(case.body, dict):
                case.body.pop("id", None)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"base_url": live.url, "headers": bearer(ADMIN_KEY)}

        def validate_response(self, response: Any, case: Case, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=8,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
