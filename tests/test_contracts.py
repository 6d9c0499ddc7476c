"""Published contracts stay in step with the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ssj_bridge.model.schemas import canonical_schemas

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(canonical_schemas()))
def test_canonical_schema_file_is_current(name: str) -> None:
    published = ROOT / "contracts" / "canonical" / name
    assert published.exists(), f"{published} missing: run python -m ssj_bridge.model.schemas"
    assert published.read_text(encoding="utf-8") == canonical_schemas()[name], (
        f"{published} is stale: run python -m ssj_bridge.model.schemas")


def test_permit_contract_accepts_what_the_simulator_serves() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from ssj_permit.simulator.dataset import build

    schema = json.loads((ROOT / "contracts/permit/permit.schema.json").read_text("utf-8"))
    for record in build("371000", 50).records:
        jsonschema.validate(record, schema)
