"""Schemathesis against the served OpenAPI schema, beyond the service's own positive GET
fuzzing (tests/service/test_fuzz.py): invalid inputs (negative generation) for every
operation, and valid JSON bodies for the POST operations. No generated request may cause
a 5xx, and every documented response must match its schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.service.conftest import Server

CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance]


def _operations(server: Server, method: str | None = None) -> list:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    if method:
        schema = schema.include(method=method)
    return [r.ok() for r in schema.get_all_operations()]


def _fuzz(op, mode: GenerationMode, max_examples: int) -> None:
    @given(case=op.as_strategy(generation_mode=mode))
    @settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case) -> None:
        case.call_and_validate(checks=CHECKS, timeout=30)

    run()


def test_invalid_inputs_never_cause_a_server_error(hostile_server: Server):
    ops = _operations(hostile_server)
    assert len(ops) >= 7
    fuzzed = []
    for op in ops:
        try:
            _fuzz(op, GenerationMode.NEGATIVE, 25)
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
            continue
        fuzzed.append(op.label)
    assert len(fuzzed) >= 5, fuzzed


def test_valid_post_bodies_are_answered_by_the_schema(hostile_server: Server):
    ops = _operations(hostile_server, "POST")
    assert ops, "the API documents no POST operation"
    for op in ops:
        _fuzz(op, GenerationMode.POSITIVE, 40)
