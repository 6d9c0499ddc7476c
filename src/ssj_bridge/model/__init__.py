"""The canonical model: value types, code lists and records. No I/O here."""

from ssj_bridge.model.base import BEIJING, CanonicalModel, beijing_now, beijing_today, iso_beijing
from ssj_bridge.model.codes import (
    AssignmentStatus,
    Category,
    CreditTier,
    DrawMode,
    Expertise,
    InspectionMode,
    ManagementClass,
    PermitStatus,
    PollutantType,
    PublicationStatus,
    ResultCode,
    RiskClass,
    Tag,
    TaskStatus,
)
from ssj_bridge.model.identifiers import (
    USCC,
    PermitNo,
    RegionCode,
    normalise_code,
    region_within,
    uscc_problem,
)
from ssj_bridge.model.records import (
    Assignment,
    CreditRecord,
    Designation,
    DrawProof,
    Inspector,
    Permit,
    Publication,
    RecordedResult,
    Result,
    Subject,
    Task,
)

CANONICAL_MODELS = (Subject, Permit, CreditRecord, Designation, Inspector, Task, Assignment,
                    DrawProof, Result, Publication)

__all__ = [
    "BEIJING", "CANONICAL_MODELS", "USCC", "Assignment", "AssignmentStatus", "CanonicalModel",
    "Category", "CreditRecord", "CreditTier", "Designation", "DrawMode", "DrawProof", "Expertise",
    "InspectionMode", "Inspector", "ManagementClass", "Permit", "PermitNo", "PermitStatus",
    "PollutantType", "Publication", "PublicationStatus", "RecordedResult", "RegionCode", "Result",
    "ResultCode",
    "RiskClass", "Subject", "Tag", "Task", "TaskStatus", "beijing_now", "beijing_today",
    "iso_beijing", "normalise_code", "region_within", "uscc_problem",
]
