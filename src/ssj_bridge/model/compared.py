"""How reconciliation compares a platform's records with the store's: entity names and fields.

A listing (ssj_bridge.api.Listing) yields each record with the fields named here, in canonical
names and values; the store's side of the same entity is read by the feature that keeps it.
Field kinds (text, code, date, list, bool, number) say how two values are normalised before
they are compared. No I/O here: adapters and the core share these shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Entities of the credit service's feeds (the `credit` role).
CREDIT_EVALUATION = "credit-evaluation"  # 环境信用评价
CREDIT_RISK = "credit-risk"  # 企业信用风险分类

EVALUATION_FIELDS = {"uscc": "code", "name": "text", "regionCode": "code", "year": "number",
                     "level": "text", "tier": "code", "publishedOn": "date",
                     "validUntil": "date", "inForce": "bool"}
RISK_FIELDS = {"uscc": "code", "name": "text", "regionCode": "code", "riskClass": "code",
               "publishedOn": "date"}

TASK_FIELDS = {"name": "text", "regionCode": "code", "matterCode": "code", "drawnBy": "code",
               "drawMode": "text", "period": "code", "plannedStart": "date", "plannedEnd": "date",
               "drawProof.algorithm": "text", "drawProof.label": "text", "drawProof.k": "number",
               "drawProof.candidatesHash": "code", "drawProof.commitment": "code",
               "drawProof.witnessEntropy": "text", "drawProof.secret": "code",
               "assignments": "list"}

RESULT_FIELDS = {"taskId": "code", "uscc": "code", "resultCode": "code", "inspectedOn": "date",
                 "inspectorIds": "list", "findings": "text", "rectificationDue": "date",
                 "caseNo": "text"}


def task_fields(task: Mapping[str, Any]) -> dict[str, Any]:
    """A Task (by alias) as reconciliation compares it: the proof's fields one by one, each
    assignment as `USCC/inspectorIds/mode` (inspectors sorted: their order carries no meaning)."""
    proof = task.get("drawProof") or {}
    fields = {name: task.get(name) for name in TASK_FIELDS if "." not in name}
    fields |= {f"drawProof.{name}": proof.get(name) for name in (
        "algorithm", "label", "k", "candidatesHash", "commitment", "witnessEntropy", "secret")}
    fields["assignments"] = [
        f"{a.get('uscc')}/{','.join(sorted(a.get('inspectorIds') or []))}/{a.get('mode')}"
        for a in task.get("assignments") or [] if isinstance(a, Mapping)]
    return fields


def result_version(version: int) -> str:
    """A result's version as reconciliation orders it (text that sorts as the number does)."""
    return f"{int(version):010d}"
