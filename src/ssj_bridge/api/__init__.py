"""Everything an adapter or a locality policy may import from ssj-bridge, in one place.

Adapters and policies import from here (and, for simulators and tests, from
`ssj_bridge.api.simulation` and `ssj_bridge.api.testing`) and from nowhere else in
ssj_bridge: the modules behind these names may move or change, these names do not within a
major `API_VERSION`. A plugin states the version it was written for in its spec (`api=`,
this version by default); the host does not load one written for another major version.

What is here, by use:
- registering: `hookimpl`, `AdapterSpec`, `PolicySpec` (the hooks: ssj_bridge.plugins.hookspecs);
- an adapter for one run: `AdapterContext` (settings section, region, allow-list, logger),
  the `Adapter` protocol and its optional capabilities `Writes` (sinks) and `Reconcilable`
  (listings), each declared by a typed protocol and checked with isinstance;
- reading: `Stream`, `Batch`, `Fetched`, `Rejected` (a record set aside, with its reason),
  `set_aside_on_failure` (whatever a record mapping raises sets that record aside),
  `canonical_payload`, `content_hash`;
- writing: `Sink`, `BatchSink`, `ConfirmingSink` (a sink whose writes are not idempotent by
  content confirms, before resending, what the platform may have forgotten), `OutboxItem`,
  `SendOutcome`, and the batch document errors;
- reconciling: `Listing`, `PartialListing`, `ListedRecord` and the compared shapes
  (`task_fields`, `RESULT_FIELDS`, `result_version`, `CREDIT_EVALUATION`, `CREDIT_RISK`);
- calling a platform: `PlatformSession`, `make_client`, `RetryPolicy`, `call_with_retry`,
  `RateLimiter`, `request_deadline` (a whole request's deadline), `transport_error`,
  `retry_after_seconds`, `read_envelope`, `envelope_message`, `parse_xml` (the one safe XML
  parser) and the exception tree (`DeadlineReached`: the run's time for the platform is up);
- the canonical model: records, code lists, identifiers and Beijing time;
- policies: the rule book and what it is built from.
"""

from ssj_bridge.errors import (
    BatchNumberTaken,
    BatchTooLarge,
    BatchUnknown,
    ConfigurationError,
    DeadlineReached,
    DocumentRefused,
    ExitCode,
    PermanentError,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    SsjError,
    TransientError,
)
from ssj_bridge.model import (
    BEIJING,
    USCC,
    Assignment,
    AssignmentStatus,
    CanonicalModel,
    Category,
    CreditRecord,
    CreditTier,
    Designation,
    DrawMode,
    DrawProof,
    Expertise,
    InspectionMode,
    Inspector,
    ManagementClass,
    Permit,
    PermitNo,
    PermitStatus,
    PollutantType,
    Publication,
    PublicationStatus,
    RecordedResult,
    RegionCode,
    Result,
    ResultCode,
    RiskClass,
    Subject,
    Tag,
    Task,
    TaskStatus,
    beijing_now,
    beijing_today,
    iso_beijing,
    normalise_code,
    region_within,
    uscc_problem,
)
from ssj_bridge.model.compared import (
    CREDIT_EVALUATION,
    CREDIT_RISK,
    RESULT_FIELDS,
    TASK_FIELDS,
    result_version,
    task_fields,
)
from ssj_bridge.model.identifiers import USCC_ALPHABET, region_prefix, uscc_check_character
from ssj_bridge.model.periods import Per, Quarter
from ssj_bridge.outbox.queue import ACCEPTED, PENDING, REJECTED, OutboxItem, SendOutcome
from ssj_bridge.platform.adapter import (
    Adapter,
    AdapterContext,
    AdapterSpec,
    Batch,
    BatchSink,
    ConfirmingSink,
    Fetched,
    ListedRecord,
    Listing,
    PartialListing,
    Reconcilable,
    Rejected,
    SimulatorApp,
    Sink,
    Stream,
    Writes,
    canonical_payload,
    content_hash,
    set_aside_on_failure,
)
from ssj_bridge.platform.http import (
    NotAnEnvelope,
    PlatformSession,
    RateLimiter,
    RetryPolicy,
    call_with_retry,
    envelope_message,
    make_client,
    read_envelope,
    retry_after_seconds,
    transport_error,
)
from ssj_bridge.platform.request_deadline import request_deadline
from ssj_bridge.platform.safexml import UnsafeDocument, parse_xml, safe_parser
from ssj_bridge.plugins.hookspecs import API_VERSION, hookimpl
from ssj_bridge.policy.rules import (
    CheckLimit,
    ConflictAction,
    ConflictRule,
    CountedFrom,
    Deadline,
    DeadlineKind,
    DrawExclusion,
    Evidence,
    Exclusion,
    ExclusionTest,
    ExpertiseRule,
    GroupSize,
    Matter,
    ModeRule,
    Note,
    NoteKind,
    Obligation,
    ObligationKind,
    PastResult,
    Policy,
    PolicySpec,
    Rule,
    RuleBook,
    SubjectFacts,
    percent,
)
from ssj_bridge.settings import SecretStr, env_name, is_secret_name

__all__ = [
    "ACCEPTED", "API_VERSION", "BEIJING", "CREDIT_EVALUATION", "CREDIT_RISK", "PENDING",
    "REJECTED", "RESULT_FIELDS", "TASK_FIELDS", "USCC", "USCC_ALPHABET", "Adapter",
    "AdapterContext", "AdapterSpec", "Assignment", "AssignmentStatus", "Batch",
    "BatchNumberTaken", "BatchSink", "BatchTooLarge", "BatchUnknown", "CanonicalModel",
    "Category", "CheckLimit", "ConfigurationError", "ConfirmingSink", "ConflictAction",
    "ConflictRule", "CountedFrom", "CreditRecord", "CreditTier", "Deadline", "DeadlineKind",
    "DeadlineReached", "Designation", "DocumentRefused", "DrawExclusion", "DrawMode",
    "DrawProof", "Evidence", "Exclusion", "ExclusionTest", "ExitCode", "Expertise",
    "ExpertiseRule", "Fetched", "GroupSize", "InspectionMode", "Inspector", "ListedRecord",
    "Listing", "ManagementClass", "Matter", "ModeRule", "NotAnEnvelope", "Note", "NoteKind",
    "Obligation", "ObligationKind", "OutboxItem", "PartialListing", "PastResult", "Per",
    "PermanentError", "Permit", "PermitNo", "PermitStatus", "PlatformError", "PlatformSession",
    "PlatformUnavailable", "Policy", "PolicySpec", "PollutantType", "Publication",
    "PublicationStatus", "Quarter", "RateLimited", "RateLimiter", "Reconcilable",
    "RecordedResult", "RegionCode", "Rejected", "Result", "ResultCode", "RetryPolicy",
    "RiskClass", "Rule", "RuleBook", "SecretStr", "SendOutcome", "SimulatorApp", "Sink",
    "SsjError", "Stream", "Subject", "SubjectFacts", "Tag", "Task", "TaskStatus",
    "TransientError", "UnsafeDocument", "Writes", "beijing_now", "beijing_today",
    "call_with_retry", "canonical_payload", "content_hash", "env_name", "envelope_message",
    "hookimpl", "is_secret_name", "iso_beijing", "make_client", "normalise_code", "parse_xml",
    "percent", "read_envelope", "region_prefix", "region_within", "request_deadline",
    "result_version", "retry_after_seconds", "safe_parser", "set_aside_on_failure",
    "task_fields", "transport_error", "uscc_check_character", "uscc_problem",
]
