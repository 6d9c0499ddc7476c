"""JSON Schemas of the canonical model, as published in `contracts/canonical/`.

Regenerate with `python -m ssj_bridge.model.schemas contracts/canonical`; a test fails when the
published files differ from the model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ssj_bridge.model import CANONICAL_MODELS


def canonical_schemas() -> dict[str, str]:
    """File name → JSON Schema text (by alias, the names on the wire) for every canonical model."""
    return {f"{model.__name__}.schema.json":
            json.dumps(model.model_json_schema(by_alias=True, mode="validation"),
                       ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            for model in CANONICAL_MODELS}


def write(directory: Path) -> list[Path]:
    """Write every schema into `directory`; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in canonical_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "contracts/canonical")):
        print(path)
