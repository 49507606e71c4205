"""The OpenAPI spec says what the server accepts and answers (generated clients rely on it)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from tests.api.harness import Harness, bearer

URL = "https://example.com/a"


async def _spec(api: Harness) -> dict[str, Any]:
    r = await api.http.get("/openapi.json")
    assert r.status_code == 200
    spec: dict[str, Any] = r.json()
    return spec


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A validator of `schema` whose `#/components/...` references resolve in the spec."""
    return jsonschema_rs.validator_for({**schema, "components": spec["components"]})


def _answer_schema(spec: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    content = spec["paths"][path][method]["responses"][status]["content"]
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


async def test_money_is_documented_as_what_is_accepted(api: Harness) -> None:
    spec = await _spec(api)
    for model in ("CampaignCreate", "CampaignPatch"):
        for name in ("dailyBudget", "cpm"):
            field = spec["components"]["schemas"][model]["properties"][name]
            validator = _validator(spec, field)
            for accepted in (12.5, "12.50", 3):
                assert validator.is_valid(accepted), (model, name, accepted)
            assert not validator.is_valid("twelve")
            assert not validator.is_valid(True)
    adv = await api.advertiser("adv-1")
    for cid, budget, cpm in (("c-num", 12.5, 2), ("c-str", "12.50", "2.000")):
        created = await api.campaign(adv, "adv-1", cid, dailyBudget=budget, cpm=cpm)
        assert created["dailyBudget"] == 12.5 and created["cpm"] == 2.0


async def test_no_json_answer_is_documented_as_a_bare_string(api: Harness) -> None:
    spec = await _spec(api)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                assert schema != {"type": "string"}, (method, path, status)
                if status == "4XX":
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}
            assert "422" not in operation["responses"], (method, path)  # errors: our body
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_pacing_answers_match_the_spec(api: Harness) -> None:
    spec = await _spec(api)
    path = "/v1/publishers/{publisherId}/sites/{siteId}/pacing"
    pub = await api.publisher("pub-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    body = {"dayDurationSeconds": 600, "testThrottleOverride": 0.5}
    body_schema = spec["paths"][path]["put"]["requestBody"]["content"]["application/json"]
    assert _validator(spec, body_schema["schema"]).is_valid(body)
    put = await api.http.put(
        "/v1/publishers/pub-1/sites/site-1/pacing", json=body, headers=bearer(pub)
    )
    get = await api.http.get("/v1/publishers/pub-1/sites/site-1/pacing", headers=bearer(pub))
    for method, answer in (("put", put), ("get", get)):
        assert answer.status_code == 200
        schema = _answer_schema(spec, path, method, "200")
        assert schema == {"$ref": "#/components/schemas/PacingOut"}
        _validator(spec, schema).validate(answer.json())


async def test_serve_answers_of_every_outcome_match_the_spec(api: Harness) -> None:
    spec = await _spec(api)
    validator = _validator(spec, _answer_schema(spec, "/v1/serve", "post", "200"))
    pub = await api.publisher("pub-1")
    adv = await api.advertiser("adv-1")
    await api.site(pub, "pub-1", "site-1", "example.com")
    # One impression's worth of budget: the first serve selects, the next finds it spent.
    await api.campaign(adv, "adv-1", "cmp-1", dailyBudget="0.0025", cpm=2.5)
    await api.creative(adv, "adv-1", "cmp-1", "cr-1")
    await api.approve(pub, "pub-1", "site-1", "cr-1")
    pacing = "/v1/publishers/pub-1/sites/site-1/pacing"

    async def outcomes(**pacing_body: Any) -> list[str]:
        r = await api.http.put(pacing, json=pacing_body, headers=bearer(pub))
        assert r.status_code == 200
        r = await api.serve("site-1", URL, slots=[("top", 300, 250), ("side", 160, 600)])
        assert r.status_code == 200
        answer = r.json()
        validator.validate(answer)
        return [slot["outcome"] for slot in answer["slots"]]

    assert await outcomes(warmupMode=True) == ["warmup", "warmup"]
    assert await outcomes(testThrottleOverride=1.0) == ["pacingSkipped", "noCandidates"]
    assert await outcomes(testThrottleOverride=0.0) == ["selected", "noCandidates"]
    assert await outcomes(testThrottleOverride=0.0) == ["budgetExhausted", "noCandidates"]
    # An answer with a key the spec does not name would fail: the spec is closed.
    assert not validator.is_valid({"requestId": "r", "slots": [], "extra": 1})


async def test_management_needs_a_key_and_creates_link_to_what_they_open(api: Harness) -> None:
    spec = await _spec(api)
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    public = {"/v1/serve", "/v1/imp", "/v1/click", "/healthz", "/metrics"}
    operation_ids: dict[str, dict[str, Any]] = {}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            operation_ids[operation["operationId"]] = {**operation, "path": path}
            expected: list[dict[str, list[str]]] | None = (
                None if path in public else [{"bearer": []}]
            )
            assert operation.get("security") == expected, path
    created = spec["paths"]["/v1/publishers/{publisherId}/sites"]["post"]["responses"]["201"]
    assert len(created["links"]) == 7
    for source, operations in spec["paths"].items():
        for operation in operations.values():
            for link in operation["responses"].get("201", {}).get("links", {}).values():
                target = operation_ids[link["operationId"]]
                names = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                assert set(link["parameters"]) == names, (source, link)


async def test_a_405_names_every_method_the_path_serves(api: Harness) -> None:
    spec = await _spec(api)
    path = "/v1/publishers/{publisherId}/sites"
    documented = {m.upper() for m in spec["paths"][path]}
    r = await api.http.put("/v1/publishers/pub-1/sites", json={})
    assert r.status_code == 405
    allowed = set(r.headers["allow"].split(", "))
    assert documented <= allowed <= documented | {"HEAD"}


async def test_liveness_and_readiness_answers_match_the_spec(api: Harness) -> None:
    spec = await _spec(api)
    operation = spec["paths"]["/healthz"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["ready"]
    assert operation["responses"]["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
    validator = _validator(spec, _answer_schema(spec, "/healthz", "get", "200"))
    # One process without Redis: always ready once started.
    for query in ("", "?ready=false", "?ready=true"):
        r = await api.http.get("/healthz" + query)
        assert r.status_code == 200
        validator.validate(r.json())
    assert (await api.http.get("/healthz?ready=maybe")).status_code == 422
