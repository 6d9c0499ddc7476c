"""威海市生态环境"双随机、一公开"监管工作实施细则 (2023), `sources/weihai.txt`.

Categories (第九条): KEY 重点管理 permit, SIMPLIFIED 简化管理, GENERAL 登记管理, SPECIAL the
units of 第九条（四）; SPECIAL takes precedence and a subject is in one category.
Library (第八条（二）): 住宿和餐饮业 (GB/T 4754 section H) and 教育 (section P) units the 分类管理名录
does not regulate — those whose strictest class is 登记管理 — are not in it.
Quotas (第十四条): per quarter KEY ≥ 25 %, SIMPLIFIED ≥ 5 %, GENERAL ≥ 1 %; every SPECIAL unit once
every half-year — each 区市 in its own area ("各区市…本行政区域内"): M01 is a county-level matter,
so a city deployment (第十六条 "也可由市生态环境局抽取，派发各分局实施") draws per district.
Candidates (第十八条): a unit inspected this year, by this bureau or a higher level, with every
result 01 is left out (SPECIAL excepted: its half-yearly coverage is whole); the exclusion is
"原则上可", so a category it empties is drawn from the units it took out (the draw's fallback).
Publication (第二十二条): 20 working days after the quarter's tasks are complete.
Raised ratios (第十五条 "对信用风险高和涉“两高”项目的监管对象，应提高抽查比例"): KEY, SIMPLIFIED and
GENERAL units of credit-risk class C or D (较高风险, 高风险) or with a 两高 project are drawn at
twice their category's ratio, each as a part of the category's draw (the text gives no number;
`build(risk_weighted=False)` leaves it a note). Fewer on-site checks for good credit and the
positive list stays a note.

Where this module departs from policies/README.md, following the text:
- 第九条（四） names 群众普遍反映强烈 among the SPECIAL units and README's list leaves it out. It
  is read here as 10 or more complaints (`投诉`) in the quarter, the threshold the other
  localities' texts use for repeated complaints (南山 四（二）1, read by README for 益阳 and 衢州).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ssj_bridge.api import (
    Category,
    CountedFrom,
    CreditTier,
    Deadline,
    DeadlineKind,
    DrawExclusion,
    Duty,
    Exclusion,
    GroupSize,
    ManagementClass,
    MonthAfterQuarterTasks,
    Note,
    Obligation,
    ObligationKind,
    OnDay,
    Per,
    PolicySpec,
    RatioWeight,
    ReplacementRule,
    RiskClass,
    Rule,
    RuleBook,
    StatutoryDate,
    SubjectFacts,
    Tag,
    hookimpl,
    percent,
)
from ssj_policies._common import (
    bundled_matters,
    inspected_clean_this_year,
    risk_weight,
    routine_matter,
)

NAME = "weihai"
LOCALITY = "威海市"
SOURCE = "weihai.txt"
VERSION = "2023.1"
COMPLAINTS_THRESHOLD = 10
UNREGULATED_SECTIONS = ("H", "P")  # 住宿和餐饮业, 教育

K, S, G, X = Category.KEY, Category.SIMPLIFIED, Category.GENERAL, Category.SPECIAL


def _unregulated_trade(facts: SubjectFacts) -> dict[str, object] | None:
    if (facts.industry_section in UNREGULATED_SECTIONS
            and facts.management_class is ManagementClass.REGISTERED):
        return {"industryCode": facts.industry_code, "section": facts.industry_section,
                "managementClass": facts.management_class.value}
    return None


RULES = (
    Rule(X, "群众普遍反映强烈: 10 or more complaints in the quarter", "第九条（四）",
         lambda f: f.complaints_at_least(COMPLAINTS_THRESHOLD), quote="群众普遍反映强烈"),
    Rule(X, "社会关注度高: exposed by the media (媒体曝光)", "第九条（四）",
         lambda f: f.tag(Tag.MEDIA_EXPOSURE.value), quote="社会关注度高"),
    Rule(X, "信用评价等级低: environmental credit WARNING or worse", "第九条（四）",
         lambda f: f.credit_at_least_as_bad_as(CreditTier.WARNING), quote="信用评价等级低"),
    Rule(X, "被挂牌督办", "第九条（四）",
         lambda f: f.tag(Tag.SUPERVISED_LISTING.value), quote="被挂牌督办"),
    Rule(X, "污染防治技术不能稳定达到排污许可证规定", "第九条（四）",
         lambda f: f.tag(Tag.UNSTABLE_COMPLIANCE.value),
         quote="污染防治技术不能稳定达到排污许可证规定"),
    Rule(X, "矿井企业", "第九条（四）", lambda f: f.tag(Tag.MINE.value), quote="矿井企业"),
    Rule(K, "实行排污许可重点管理: permit 重点管理", "第九条（一）",
         lambda f: f.permit_class(ManagementClass.KEY),
         quote="实行排污许可重点管理及其他需要进行重点监管的被检查对象，列为重点监管对象"),
    Rule(S, "实行排污许可简化管理: permit 简化管理", "第九条（二）",
         lambda f: f.permit_class(ManagementClass.SIMPLIFIED),
         quote="实行排污许可简化管理的被检查对象，列为简化监管对象"),
    Rule(G, "填报排污登记表: registration 登记管理", "第九条（三）",
         lambda f: f.permit_class(ManagementClass.REGISTERED),
         quote="填报排污登记表及其他需要进行一般监管的被检查对象，列为一般监管对象"),
)

OBLIGATIONS = (
    Obligation(K, Per.QUARTER, ObligationKind.RATIO, percent("25"),
               "每季度重点监管对象抽查比例不低于25%", "第十四条（一）",
               quote="各区市每季度对本行政区域内重点监管对象抽查比例不低于25%"),
    Obligation(S, Per.QUARTER, ObligationKind.RATIO, percent("5"),
               "每季度简化监管对象抽查比例不低于5%", "第十四条（二）",
               quote="各区市每季度对本行政区域内简化监管对象抽查比例不低于5%"),
    Obligation(G, Per.QUARTER, ObligationKind.RATIO, percent("1"),
               "每季度一般监管对象抽查比例不低于1%", "第十四条（三）",
               quote="各区市每季度对本行政区域内一般监管对象抽查比例不低于1%"),
    Obligation(X, Per.HALF_YEAR, ObligationKind.FULL_COVERAGE, percent("100"),
               "所有特殊监管对象每半年开展1次抽查", "第十四条（四）",
               quote="各区市对所有特殊监管对象每半年开展1次抽查"),
)


RAISE_QUOTE = "对信用风险高和涉“两高”项目的监管对象，应提高抽查比例"
# 第十五条 "应提高抽查比例": the text gives no number; this project reads it as twice the
# category's ratio (SPECIAL is drawn in full every half-year and has no ratio to raise).
RAISED = Fraction(2)
RATIO_CATEGORIES = frozenset({K, S, G})
WEIGHTS = (
    risk_weight(RiskClass.VERY_HIGH, RAISED, "第十五条", RAISE_QUOTE, RATIO_CATEGORIES),
    risk_weight(RiskClass.HIGH, RAISED, "第十五条", RAISE_QUOTE, RATIO_CATEGORIES),
    RatioWeight("两高", RAISED, "涉“两高”项目: ratio ×2", "第十五条",
                lambda f: f.tag(Tag.HIGH_ENERGY.value), RATIO_CATEGORIES, RAISE_QUOTE),
)


TO_CITY = "市生态环境局"
STATUTORY_DATES = (
    StatutoryDate("annual-plan", Duty.ANNUAL_PLAN, "年度“双随机、一公开”抽查工作计划", Per.YEAR,
                  OnDay(1, 15), "第六条", quote="于每年1月15日前报市生态环境局", to=TO_CITY),
    StatutoryDate("statistics", Duty.STATISTICS, "“双随机、一公开”监管情况统计表", Per.QUARTER,
                  MonthAfterQuarterTasks(2), "第二十八条",
                  quote="各分局应于每季度随机抽查任务完成后的次月2日前，通过智慧监管系统上报行政区域内"
                        "生态环境“双随机、一公开”监管情况统计表", to=TO_CITY),
    StatutoryDate("annual-report", Duty.ANNUAL_REPORT, "“双随机、一公开”工作报告", Per.YEAR,
                  OnDay(1, 5, years_after=1), "第二十八条",
                  quote="各分局应于每年1月5日前，将上一年度“双随机、一公开”工作报告报送市生态环境局",
                  to=TO_CITY),
)


def build(*, exclude_inspected_clean: bool = True, risk_weighted: bool = True) -> RuleBook:
    """The 威海 policy; `exclude_inspected_clean` switches the 第十八条 exclusion, `risk_weighted`
    the raised ratios of 第十五条 (both on by default)."""
    return RuleBook(
        name=NAME,
        locality=LOCALITY,
        precedence=(X, K, S, G),
        rules=RULES,
        exclusions=(Exclusion(
            "住宿餐饮业 (H) or 教育 (P) unit with only a registration: not in the library",
            "第八条（二）", _unregulated_trade,
            quote="未作规定的住宿和餐饮业、教育等行业类别的排污单位，不纳入检查对象名录库"),),
        obligation_list=OBLIGATIONS,
        group_size=GroupSize(2, "第十九条", quote="检查人员执行抽查任务时不得少于2人"),
        deadlines=(Deadline(DeadlineKind.PUBLICATION, 20, CountedFrom.QUARTER_COMPLETE, "第二十二条",
                            quote="市生态环境局应在每季度随机抽查任务完成后的 20 个工作日内"),),
        weights=WEIGHTS if risk_weighted else (),
        notes=(
            *(() if risk_weighted else (Note(
                "raise the share drawn of units with a high credit risk (risk class C/D) and "
                "units with 两高 projects", "第十五条", quote=RAISE_QUOTE),)),
            Note("fewer on-site checks for units with good environmental management or credit and "
                 "units on the positive list", "第十五条",
                 quote="对环境管理水平高、信用评价好和纳入监督执法正面清单的监管对象，减少现场检查次数"),
        ),
        statutory_dates=STATUTORY_DATES,
        replacement=ReplacementRule(
            "本单位分管负责同志", "第二十一条",
            quote="已抽取的检查人员原则上不得更换，但因特殊情况无法继续履行检查任务的，"
                  "经本单位分管负责同志同意后，可调整更换"),
        matters=(routine_matter("第五条"),),
        matter_list=bundled_matters(NAME),
        draw_exclusions=(DrawExclusion(
            "inspected-clean-this-year",
            "already inspected this year, by this bureau or a higher level, every result 01",
            "第十八条", inspected_clean_this_year(higher_level_only=False), exempt=frozenset({X}),
            quote="原则上可剔除年度已抽取或者上级已抽取且未发现生态环境问题的监管对象",
            enabled=exclude_inspected_clean),),
    )


@hookimpl
def register_policies(register: Callable[[PolicySpec], None]) -> None:
    """威海市 (Shandong), 2023 细则."""
    register(PolicySpec(NAME, LOCALITY, build, version=VERSION,
                        description="威海市生态环境“双随机、一公开”监管工作实施细则 (2023)",
                        region="371000", authority=("11371000MB0000000E", "威海市生态环境局"),
                        example=True))
