"""The canonical records every adapter maps to and every rule reads."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from ssj_bridge.model.base import CanonicalModel
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
from ssj_bridge.model.identifiers import USCC, PermitNo, RegionCode

ON_ESTABLISHMENT = "在编在岗"

IndustryCode = Annotated[str, Field(pattern=r"^[A-T][0-9]{4}$")]
Period = Annotated[str, Field(pattern=r"^[0-9]{4}Q[1-4]$")]


class Permit(CanonicalModel):
    """One pollutant-discharge permit or registration (排污许可证 / 排污登记) and its holder."""

    permit_no: PermitNo
    uscc: USCC
    org_name: Annotated[str, Field(min_length=1)]
    region_code: RegionCode
    address: str | None = None
    industry_code: IndustryCode | None = None
    industry_name: str | None = None
    management_class: ManagementClass
    key_discharge_unit: bool = False
    pollutant_types: list[PollutantType] = Field(default_factory=list)
    valid_from: date | None = None
    valid_to: date | None = None
    status: PermitStatus
    longitude: float | None = None
    latitude: float | None = None
    update_time: AwareDatetime


class CreditRecord(CanonicalModel):
    """One credit fact about an enterprise: an environmental evaluation or a risk class.

    `kind` is `evaluation` (环境信用评价; raw `level` word, its `scheme`, canonical `tier`) or
    `risk` (企业信用风险分类; `risk_class`). The raw word is kept because schemes change.
    """

    kind: Annotated[str, Field(pattern="^(evaluation|risk)$")]
    uscc: USCC
    name: str | None = None
    region_code: RegionCode | None = None
    year: int | None = None
    level: str | None = None
    scheme: str | None = None
    tier: CreditTier | None = None
    risk_class: RiskClass | None = None
    published_on: date | None = None
    valid_until: date | None = None
    in_force: bool = True


class Designation(CanonicalModel):
    """A local designation of a subject by the bureau (挂牌督办, 投诉, 指定类别 …), time-bounded."""

    uscc: USCC
    tag: Tag
    value: str | None = None
    since: date | None = None
    until: date | None = None
    source: str | None = None

    def holds_on(self, day: date) -> bool:
        """True when the designation is in force on `day` (both bounds inclusive)."""
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)


class Subject(CanonicalModel):
    """A regulated subject (检查对象): the permit holder, with what the rules decide from."""

    uscc: USCC
    name: str
    region_code: RegionCode
    industry_code: str | None = None
    management_class: ManagementClass | None = None
    key_discharge_unit: bool = False
    active: bool = True
    credit_level: CreditTier = CreditTier.UNRATED
    risk_class: RiskClass | None = None
    tags: list[str] = Field(default_factory=list)
    category: Category | None = None
    categories: list[Category] = Field(default_factory=list)


class Inspector(CanonicalModel):
    """An inspector (执法人员) or auxiliary expert on the roster."""

    inspector_id: Annotated[str, Field(min_length=1, max_length=64)]
    name: str
    cert_no: str | None = None
    org_code: str | None = None
    region_code: RegionCode
    expertise: list[Expertise] = Field(default_factory=list)
    auxiliary: bool = False
    active: bool = True
    conflicts: list[USCC] = Field(default_factory=list)
    post: str | None = None  # 职务岗位
    staff_status: str | None = None  # 在编在岗, or how the person is employed otherwise
    gender: str | None = None
    service_years: int | None = Field(default=None, ge=0)

    @property
    def certified(self) -> bool:
        """Holds an enforcement certificate and is not auxiliary staff."""
        return bool(self.cert_no) and not self.auxiliary

    @property
    def on_establishment(self) -> bool:
        """在编在岗: on the bureau's establishment and at post (unstated counts as so)."""
        return self.staff_status in (None, "", ON_ESTABLISHMENT)


class Assignment(CanonicalModel):
    """One drawn subject in a task, with the inspectors matched to it."""

    uscc: USCC
    inspector_ids: list[str] = Field(default_factory=list)
    mode: InspectionMode = InspectionMode.ON_SITE
    status: AssignmentStatus = AssignmentStatus.PENDING


# The verifiable draw of draw.md: the only algorithm whose proofs this project checks.
SSJ_DRAW_V1 = "ssj-draw-v1"
_SSJ_DRAW_V1_NEEDS = ("label", "k", "candidates_hash", "commitment")


class DrawProof(CanonicalModel):
    """What lets anyone check a draw (draw.md); `secret` is None until revealed.

    An `ssj-draw-v1` proof carries label, k, candidatesHash and commitment. A draw made on a
    provincial platform carries the platform's own algorithm name and what that platform
    gives of its proof (often none of these): it is kept as it came, and cannot be checked here.
    """

    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"algorithm": {"const": SSJ_DRAW_V1}}},
        "then": {"required": ["label", "k", "candidatesHash", "commitment"]}})

    algorithm: str
    label: str | None = None
    k: int | None = None
    candidates_hash: str | None = None
    commitment: str | None = None
    witness_entropy: str | None = None
    secret: str | None = None

    @model_validator(mode="after")
    def _complete_when_verifiable(self) -> DrawProof:
        if self.algorithm == SSJ_DRAW_V1:
            missing = [to_camel(name) for name in _SSJ_DRAW_V1_NEEDS
                       if getattr(self, name) is None]
            if missing:
                raise ValueError(f"an {SSJ_DRAW_V1} proof needs {', '.join(missing)}")
        return self

    @property
    def verifiable(self) -> bool:
        """True for a proof of the draw this project implements (and `draw verify` checks)."""
        return self.algorithm == SSJ_DRAW_V1


class Task(CanonicalModel):
    """An inspection task (抽查任务): one draw of one category for one matter and period."""

    task_id: str
    name: str
    region_code: RegionCode
    matter_code: str
    drawn_by: str
    draw_mode: DrawMode = DrawMode.UNTARGETED
    period: Period
    planned_start: date | None = None
    planned_end: date | None = None
    draw_proof: DrawProof | None = None
    assignments: list[Assignment] = Field(min_length=1)
    status: TaskStatus = TaskStatus.DRAWN
    update_time: AwareDatetime | None = None


class Result(CanonicalModel):
    """An inspection result (检查结果) for one subject of one task; changed only by correction."""

    task_id: str
    uscc: USCC
    result_code: ResultCode
    inspected_on: date
    inspector_ids: list[str] = Field(default_factory=list)
    findings: str = ""
    rectification_due: date | None = None
    case_no: str | None = None


class Publication(CanonicalModel):
    """A result's publication on the enterprise credit publicity system."""

    task_id: str
    uscc: USCC
    inspected_on: date
    result_code: ResultCode
    status: PublicationStatus = PublicationStatus.PENDING
    due: date | None = None
    published_on: date | None = None
    batch_no: str | None = None
    error_code: str | None = None


class RecordedResult(CanonicalModel):
    """A result as the platform lists it: its resultId, its version and the result itself."""

    result_id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1)
    update_time: AwareDatetime | None = None
    result: Result
