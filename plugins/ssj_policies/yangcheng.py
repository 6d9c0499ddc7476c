"""晋城市生态环境局阳城分局 2024年度双随机抽查实施方案, `sources/yangcheng.txt`.

Categories (三): KEY units in the 重点排污单位名录 or holding a 重点管理 permit; SPECIAL heavy-
pollution-weather grade B or lower ("B 级以下": B, B-, C, D — 以下 includes the grade named),
挂牌督办, 超标通报, 行政处罚, a report found true (`举报查实`, not any complaint received); GENERAL
the positive list, grade A and all
others. Precedence SPECIAL, KEY, GENERAL.
Quotas (三): per quarter KEY ≥ 25 %, SPECIAL ≥ 30 %, GENERAL ≥ 5 %; every 重点排污单位 (not every KEY
unit: the text names the 名录) once a year — the draw forces in the uncovered 名录 units the
remaining quarters cannot otherwise cover. At most 2 checks of one unit a year, SPECIAL excepted.
Matters (附件1, 附件3): M01 and the object libraries' matters with their own ratios
(`matters/yangcheng.csv`).
Risk (三 "对低风险、一般风险、较高风险、高风险企业分别递加比例抽查"): each category's ratio rises with the
企业信用风险分类 class — ×1 for A (低风险), ×1.5 B, ×2 C, ×2.5 D (the text gives no numbers: equal
steps of half the ratio, this project's reading; `build(risk_weighted=False)` leaves it a note
as policies/README.md has it). Each class is drawn as a part of its category's draw.
Results (六): entered within 20 working days of the check; changed only with the principal's
sign-off. Publication follows the entry through the 公示系统: the default 20 working days apply.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ssj_bridge.api import (
    Category,
    CheckLimit,
    CountedFrom,
    Deadline,
    DeadlineKind,
    Duty,
    Evidence,
    ManagementClass,
    Matter,
    Note,
    NoteKind,
    Obligation,
    ObligationKind,
    OnDay,
    Per,
    PolicySpec,
    RiskClass,
    Rule,
    RuleBook,
    StatutoryDate,
    SubjectFacts,
    Tag,
    hookimpl,
    percent,
)
from ssj_policies._common import bundled_matters, default_publication, risk_weight, routine_matter

NAME = "yangcheng"
LOCALITY = "晋城市阳城县"
SOURCE = "yangcheng.txt"
VERSION = "2024.1"
GRADES_B_OR_LOWER = ("B", "B-", "C", "D")

K, G, X = Category.KEY, Category.GENERAL, Category.SPECIAL

_OTHER_MATTERS = ("建设项目环评及批复落实情况", "建设项目“三同时”制度落实情况", "突发环境事件应急预案备案",
                  "排污许可证制度落实及证后执行情况", "核与辐射安全日常环境监督管理",
                  "机动车排放检验机构监督检查", "非道路移动机械排放检查", "入河排污口检查",
                  "城镇污水处理厂污染防治设施专项检查", "固体废物和危险废物检查")


def _key(facts: SubjectFacts) -> Evidence | None:
    found = {**(facts.key_discharge() or {}), **(facts.permit_class(ManagementClass.KEY) or {})}
    return found or None


def _verified_complaint(facts: SubjectFacts) -> Evidence | None:
    # "举报查实": a report found true on checking — not any complaint received (`投诉`).
    return facts.tag(Tag.VERIFIED_REPORT.value)


def _positive_list(facts: SubjectFacts) -> Evidence | None:
    return facts.tag(Tag.POSITIVE_LIST.value)


def _grade_a(facts: SubjectFacts) -> Evidence | None:
    return facts.tag(Tag.PERFORMANCE_GRADE.value, ("A",))


RULES = (
    Rule(X, "重污染天气重点行业绩效分级B级以下 (B, B-, C, D)", "三（特殊监管对象）",
         lambda f: f.tag(Tag.PERFORMANCE_GRADE.value, GRADES_B_OR_LOWER),
         quote="重污染天气重点行业绩效分级 B 级以下的"),
    Rule(X, "被省厅或市级挂牌督办", "三（特殊监管对象）",
         lambda f: f.tag(Tag.SUPERVISED_LISTING.value), quote="被省厅或市级挂牌督办的"),
    Rule(X, "因超标排放被省厅或市级通报", "三（特殊监管对象）",
         lambda f: f.tag(Tag.EXCEEDANCE_NOTICE.value), quote="因超标排放被省厅或市级通报的"),
    Rule(X, "因环境违法问题受到行政处罚", "三（特殊监管对象）",
         lambda f: f.tag(Tag.ADMINISTRATIVE_PENALTY.value), quote="因环境违法问题受到行政处罚"),
    Rule(X, "被群众举报查实", "三（特殊监管对象）", _verified_complaint, quote="被群众举报查实的"),
    Rule(K, "重点排污单位名录企业、排污许可重点管理企业", "三（重点监管对象）", _key,
         quote="将重点排污单位名录企业、排污许可重点管理企业确定为重点监管对象"),
    Rule(G, "生态环境监督执法正面清单内", "三（一般监管对象）", _positive_list,
         quote="将生态环境监督执法正面清单内"),
    Rule(G, "重污染天气重点行业绩效分级A级", "三（一般监管对象）", _grade_a,
         quote="重污染天气重点行业绩效分级 A 级等环境信誉较好、环境风险较低的企业"),
    Rule(G, "检查名录库中除重点监管对象和特殊监管对象外的单位", "三（一般监管对象）", lambda f: {},
         quote="检查名录库中除重点监管对象和特殊监管对象外的单位", fallback=True),
)

OBLIGATIONS = (
    Obligation(K, Per.QUARTER, ObligationKind.RATIO, percent("25"),
               "重点监管对象每季度至少按25%进行抽查", "三（重点监管对象）",
               quote="每季度至少按 25% 进行抽查"),
    Obligation(K, Per.YEAR, ObligationKind.FULL_COVERAGE, percent("100"),
               "每年对辖区所有重点排污单位开展一遍巡查", "三（重点监管对象）",
               quote="原则上应保证每年对辖区所有重点排污单位开展一遍巡查",
               scope="重点排污单位", applies_to=lambda f: f.key_discharge_unit),
    Obligation(X, Per.QUARTER, ObligationKind.RATIO, percent("30"),
               "特殊监管对象每季度至少按30%进行抽查", "三（特殊监管对象）",
               quote="每季度至少按 30% 进行抽查"),
    Obligation(G, Per.QUARTER, ObligationKind.RATIO, percent("5"),
               "一般监管对象每季度至少按5%进行抽查", "三（一般监管对象）",
               quote="每季度至少按 5%进行抽查"),
)


RISK_QUOTE = "对低风险、一般风险、较高风险、高风险企业分别递加比例抽查"
# 三 "分别递加比例": the text gives no numbers; this project reads equal steps of half the
# category's own ratio over the four 企业信用风险分类 classes (A 低风险 keeps the ratio).
RISK_STEPS = ((RiskClass.VERY_HIGH, Fraction(5, 2)), (RiskClass.HIGH, Fraction(2)),
              (RiskClass.MEDIUM, Fraction(3, 2)))

WEIGHTS = tuple(risk_weight(risk, factor, "三", RISK_QUOTE) for risk, factor in RISK_STEPS)


def build(*, risk_weighted: bool = True) -> RuleBook:
    """The 阳城 policy; `risk_weighted` switches the ratios scaled by credit-risk class (三)."""
    return RuleBook(
        name=NAME,
        locality=LOCALITY,
        precedence=(X, K, G),
        rules=RULES,
        obligation_list=OBLIGATIONS,
        check_limit=CheckLimit(2, frozenset({X}), "三（一般监管对象）",
                               quote="原则上，在同一年度内对同一污染源的抽查次数不超过 2 次，"
                                     "特殊监管对象不受该条款约束"),
        deadlines=(
            Deadline(DeadlineKind.RESULTS_ENTRY, 20, CountedFrom.INSPECTION, "六",
                     quote="在完成“双随机、一公开”抽查工作后 20 个工作日内，及时将抽查结果录入"),
            default_publication(),
        ),
        weights=WEIGHTS if risk_weighted else (),
        statutory_dates=(StatutoryDate(
            "joint-report", Duty.JOINT_REPORT,
            "全年部门联合“双随机、一公开”监管工作情况和抽查数据信息", Per.YEAR, OnDay(10, 30), "八（五）",
            quote="10月30日前，将全年部门联合“双随机、一公开”监管工作情况和抽查数据信息报阳城县市场监管领域"
                  "“双随机、一公开”监管工作领导小组办公室",
            to="阳城县市场监管领域“双随机、一公开”监管工作领导小组办公室"),),
        notes=(
            *(() if risk_weighted else (Note(
                "draw increasing shares from low, medium, high and very high credit risk "
                "classes (A < B < C < D)", "三", quote=RISK_QUOTE),)),
            Note("a result once entered is changed only when wrong, with the principal's signed "
                 "confirmation", "六", kind=NoteKind.PROCEDURE,
                 quote="检查结果确有错误的，经主要负责人签字确认后，及时更正"),
        ),
        matter_list=bundled_matters(NAME),
        matters=(routine_matter("一（二）"),
                 *(Matter(f"M{index:02d}", name, "一（二）")
                   for index, name in enumerate(_OTHER_MATTERS, start=2))),
    )


@hookimpl
def register_policies(register: Callable[[PolicySpec], None]) -> None:
    """晋城市阳城县 (Shanxi), 2024 方案."""
    register(PolicySpec(NAME, LOCALITY, build, version=VERSION,
                        description="晋城市生态环境局阳城分局2024年度双随机抽查实施方案",
                        region="140522"))
