"""/openapi.json says what the API does: the shapes per format, the problem+json answers each
operation can give, the media types of files, and the checks that live in code."""

from __future__ import annotations

import re

import pytest

from api.app import create_app
from beredskab.settings import Settings

PROBLEM = {"$ref": "#/components/schemas/Problem"}
PUBLIC = {"/healthz", "/readyz", "/metrics"}


@pytest.fixture(scope="module")
def doc() -> dict:
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite://", dev_mode=True)  # type: ignore[call-arg]
    return create_app(settings).openapi()


def _operations(doc: dict):  # noqa: ANN202
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def _schema(doc: dict, name: str) -> dict:
    return doc["components"]["schemas"][name]


def test_the_log_declares_a_page_an_array_of_entries_csv_and_pdf(doc):
    answer = doc["paths"]["/activations/{activation_id}/log"]["get"]["responses"]["200"]
    json_shapes = answer["content"]["application/json"]["schema"]["anyOf"]
    assert {"$ref": "#/components/schemas/LogPage"} in json_shapes
    assert {"type": "array", "items": {"$ref": "#/components/schemas/LogEntryRead"}} in json_shapes
    assert set(answer["content"]) == {"application/json", "text/csv", "application/pdf"}


def test_files_carry_their_media_types(doc):
    def media(path: str, status: str = "200") -> set[str]:
        return set(doc["paths"][path]["get"]["responses"][status]["content"])

    assert media("/costs/report") == {
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert media("/shifts/{shift_id}.ics") == {"text/calendar"}
    assert media("/calendar/feeds/{org_id}.ics") == {"text/calendar"}
    assert media("/activations/{activation_id}/log/stream") == {"text/event-stream"}
    stream = doc["paths"]["/activations/{activation_id}/log/stream"]["get"]["responses"]["200"]
    event = stream["content"]["text/event-stream"]["schema"]["properties"]
    assert event["data"]["contentSchema"] == {"$ref": "#/components/schemas/LogEntryRead"}
    report = doc["paths"]["/costs/report"]["get"]["responses"]["200"]["content"]
    assert report["application/json"]["schema"] == {"$ref": "#/components/schemas/FinanceReportOut"}


def test_every_answer_from_400_up_is_a_problem(doc):
    for method, path, operation in _operations(doc):
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                assert answer["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                    method,
                    path,
                    status,
                )
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_the_problem_names_each_bad_field(doc):
    problem = _schema(doc, "Problem")
    assert {"type", "title", "status", "detail"} <= set(problem["properties"])
    errors = problem["properties"]["errors"]["anyOf"][0]
    assert errors == {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}
    assert set(_schema(doc, "FieldError")["required"]) == {"field", "reason"}


def test_each_operation_lists_the_answers_of_the_machinery(doc):
    for method, path, operation in _operations(doc):
        statuses = set(operation["responses"])
        assert "422" in statuses, (method, path)
        if path not in PUBLIC and not path.startswith(("/webhooks/", "/calendar/feeds/")):
            assert operation.get("security"), (method, path)
            assert {"401", "403"} <= statuses, (method, path)
        if method in ("post", "put", "patch", "delete"):
            assert {"400", "401", "413"} <= statuses, (method, path)


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/activations/{activation_id}", {"404"}),
        ("post", "/activations/{activation_id}/endorse", {"404", "409"}),
        ("post", "/activations/{activation_id}/stand-down", {"404", "409"}),
        ("get", "/activations/{activation_id}/costs", {"404", "409"}),
        ("delete", "/admin/tokens/{token_id}", {"404"}),
        ("post", "/directory/people", {"409"}),
        ("post", "/webhooks/twilio/sms", {"403"}),
        ("get", "/calendar/feeds/{org_id}.ics", {"403"}),
        ("get", "/readyz", {"503"}),
    ],
)
def test_use_cases_declare_their_own_answers(doc, method, path, statuses):
    assert statuses <= set(doc["paths"][path][method]["responses"])


def test_dates_are_bounded_to_the_years_the_service_handles(doc):
    year = re.compile(_schema(doc, "ShiftCreate")["properties"]["start"]["pattern"])
    assert year.match("2000-01-01T00:00:00Z") and year.match("2199-12-31T23:59:59+01:00")
    assert not year.match("1999-12-31T23:59:59Z") and not year.match("2200-01-01T00:00:00Z")
    assert not year.match("0001-01-01")
    tariff_day = _schema(doc, "TariffCreate")["properties"]["valid_from"]
    assert tariff_day["format"] == "date" and tariff_day["pattern"] == year.pattern
    params = doc["paths"]["/calendar/opening-hours"]["get"]["parameters"]
    to = next(p for p in params if p["name"] == "to")
    assert to["schema"]["pattern"] == year.pattern and "after `from`" in to["description"]


def test_checks_in_code_are_stated(doc):
    shift = _schema(doc, "ShiftCreate")["properties"]
    assert (shift["agents_needed"]["minimum"], shift["agents_needed"]["maximum"]) == (1, 50)
    assert "24 hours" in shift["end"]["description"]
    activation = _schema(doc, "ActivationCreate")["properties"]["authority_id"]
    assert "required when a steering member or an admin asks" in activation["description"]
    tariff = _schema(doc, "TariffCreate")["properties"]["reason"]
    assert "back-dated" in tariff["description"]
    adjustment = _schema(doc, "AdjustmentCreate")["properties"]["amount_ore"]
    assert adjustment["not"] == {"const": 0}
    rejection = _schema(doc, "Rejection")["properties"]["reason"]
    assert rejection["minLength"] == 1 and rejection["pattern"] == r"\S"
    report = doc["paths"]["/costs/report"]["get"]["parameters"]
    to = next(p for p in report if p["name"] == "to")
    assert "not before `from`" in to["description"] and "400 days" in to["description"]
