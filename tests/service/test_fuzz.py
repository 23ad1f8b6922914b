"""Schemathesis drives every GET operation of the OpenAPI schema with generated
inputs against the real server: no input may cause a 500, and responses must
match the documented schemas. (Its pytest plugin does not run under pytest 9,
so the operations are driven through Hypothesis directly.)"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.service.conftest import Server

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.status_code_conformance,
]


def test_no_generated_input_breaks_the_server(fake_server: Server):
    schema = schemathesis.openapi.from_url(f"{fake_server.url}/openapi.json").include(method="GET")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    for op in operations:

        @given(case=op.as_strategy())
        @settings(
            max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def fuzz(case) -> None:
            case.call_and_validate(checks=CHECKS, timeout=30)

        fuzz()
