"""益阳市生态环境"双随机、一公开"监管工作实施方案 (2021), `sources/yiyang.txt`.

Categories (三（二）): KEY 重点排污单位, units managed as key for 敏感 reasons, credit 风险
(WARNING); SPECIAL 上级挂牌督办, an open 中央环保督察 petition, credit 不良 (POOR or worse), media
exposure or repeated complaints (10 or more in the quarter), an environmental violation
(`行政处罚`) within the last two years; GENERAL all others. Precedence SPECIAL, KEY, GENERAL.
A positive-list 重点排污单位 "可" be managed as GENERAL: off unless `positive_list_key_as_general`.
Quotas (四（二）): GENERAL per year ceil(5 × inspectors); KEY ≥ 25 % per quarter and every KEY unit
once a year; every SPECIAL unit at least once every half-year — each 区县（市） in its own area,
so a city deployment draws per district. Candidates (四（三）): at the lower level only, a unit a
higher level inspected this year with every result 01 is left out (SPECIAL excepted); the
higher level may inspect again what the lower level inspected. Done (五（三）): an inspection
not published is not done ("已实施检查但未进行公示的，视为未完成抽查检查任务"). A violation "两年内"
is dated by its penalty's day (`since`), an open row does not keep it in force.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ssj_bridge.api import (
    COUNTY,
    Category,
    ConflictAction,
    ConflictRule,
    CountedFrom,
    CreditTier,
    Deadline,
    DeadlineKind,
    DrawExclusion,
    Duty,
    Evidence,
    ExpertiseRule,
    GroupSize,
    Matter,
    Note,
    Obligation,
    ObligationKind,
    OnDay,
    Per,
    PolicySpec,
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
    routine_matter,
    years_before,
)

NAME = "yiyang"
LOCALITY = "益阳市"
SOURCE = "yiyang.txt"
VERSION = "2021.1"
COMPLAINTS_THRESHOLD = 10
VIOLATION_YEARS = 2

K, G, X = Category.KEY, Category.GENERAL, Category.SPECIAL

_MATTERS = ("生态环境保护措施落实情况", "污染防治设施运行情况",
            "排污许可、危险废物经营许可证制度落实及证后执行情况", "碳排放情况", "辐射安全项目管理情况",
            "固体废物及危险废物管理情况", "化学品环境管理情况",
            "生态环境监测社会化服务机构及环评单位数据、报告质量", "建设项目环评及批复落实情况",
            "建设项目“三同时”制度落实情况", "排污单位自行监测及信息公开制度落实情况",
            "突发环境事件应急预案备案情况", "环境安全隐患情况")


def _violation_within_two_years(facts: SubjectFacts) -> Evidence | None:
    # A penalty is a fact of its day: a row left open does not keep it in force for ever.
    return facts.tag_dated_within(Tag.ADMINISTRATIVE_PENALTY.value,
                                  years_before(facts.on, VIOLATION_YEARS))


def build(*, positive_list_key_as_general: bool = False,
          exclude_inspected_clean: bool = True) -> RuleBook:
    """The 益阳 policy; the two switches are the text's "可" clauses (defaults as README reads them)."""

    def key_discharge(facts: SubjectFacts) -> Evidence | None:
        if positive_list_key_as_general and facts.positive_list:
            return None
        return facts.key_discharge()

    def positive_list_key(facts: SubjectFacts) -> Evidence | None:
        if positive_list_key_as_general and facts.positive_list and facts.key_discharge_unit:
            return {"keyDischargeUnit": True, "positiveList": True}
        return None

    rules = (
        Rule(X, "上级挂牌督办", "三（二）", lambda f: f.tag(Tag.SUPERVISED_LISTING.value),
             quote="上级挂牌督办"),
        Rule(X, "未销号中央环保督察重点信访件", "三（二）",
             lambda f: f.tag(Tag.CENTRAL_INSPECTION_PETITION.value),
             quote="未销号中央环保督察重点信访件"),
        Rule(X, "环境信用评价等级为不良: credit POOR or worse", "三（二）",
             lambda f: f.credit_at_least_as_bad_as(CreditTier.POOR),
             quote="环境信用评价等级为不良的排污单位"),
        Rule(X, "被媒体曝光", "三（二）", lambda f: f.tag(Tag.MEDIA_EXPOSURE.value),
             quote="被媒体曝光或群众反复投诉强烈的"),
        Rule(X, "群众反复投诉强烈: 10 or more complaints in the quarter", "三（二）",
             lambda f: f.complaints_at_least(COMPLAINTS_THRESHOLD),
             quote="被媒体曝光或群众反复投诉强烈的"),
        Rule(X, "两年内存在环境违法行为: an administrative penalty within the last two years",
             "三（二）", _violation_within_two_years, quote="两年内存在环境违法行为的"),
        Rule(K, "重点排污单位", "三（二）", key_discharge, quote="重点监管对象，包括重点排污单位"),
        Rule(K, "因敏感因素需要参照重点排污单位管理", "三（二）",
             lambda f: f.tag(Tag.SENSITIVE.value), quote="因敏感因素需要参照重点排污单位管理的"),
        Rule(K, "环境信用评价等级为风险: credit WARNING", "三（二）",
             lambda f: f.credit(CreditTier.WARNING), quote="环境信用评价等级为风险的排污单位"),
        Rule(G, "列入正面清单的重点排污单位, managed as GENERAL", "三（二）", positive_list_key,
             quote="列入正面清单的重点排污单位，可根据企业守法情况调整为一般监管对象管理"),
        Rule(G, "未列入重点、特殊的其他检查对象", "三（二）", lambda f: {},
             quote="一般监管对象，包括未列入重点、特殊的其他检查对象", fallback=True),
    )
    return RuleBook(
        name=NAME,
        locality=LOCALITY,
        precedence=(X, K, G),
        rules=rules,
        obligation_list=(
            Obligation(G, Per.YEAR, ObligationKind.PER_INSPECTOR, Fraction(5),
                       "按在编在岗执法人员数量1:5确定年度被抽查单位数量", "四（二）1",
                       quote="按照 1：5 的比例确定年度被抽查单位数量"),
            Obligation(K, Per.QUARTER, ObligationKind.RATIO, percent("25"),
                       "每季度至少对25%的重点监管对象进行抽查", "四（二）2",
                       quote="每季度至少对本辖区 25%的重点监管对象进行抽查"),
            Obligation(K, Per.YEAR, ObligationKind.FULL_COVERAGE, percent("100"),
                       "每年对所有重点监管对象进行一次检查", "四（二）2",
                       quote="原则上每年对辖区内所有重点监管对象进行一次检查"),
            Obligation(X, Per.HALF_YEAR, ObligationKind.FULL_COVERAGE, percent("100"),
                       "所有特殊监管对象每半年不少于一次的全覆盖检查", "四（二）3",
                       quote="应当对辖区内所有特殊监管对象进行每半年不少于一次的全覆盖检查"),
        ),
        group_size=GroupSize(2, "五（一）", quote="每个检查组不少于2人"),
        conflict=ConflictRule(ConflictAction.REDRAW, "四（四）",
                              quote="抽取产生的检查人员与抽查对象有利害关系的，应依法回避，并重新随机抽取人员"),
        expertise=ExpertiseRule("四（四）", quote="保证每个事项不少于1人"),
        deadlines=(Deadline(DeadlineKind.PUBLICATION, 20, CountedFrom.TASK_COMPLETE, "五（三）",
                            quote="在每次抽查检查任务完成之后的 20 个工作日内"),),
        notes=(
            Note("positive-list units may be supervised off-site (非现场)", "四（二）1",
                 quote="纳入正面清单的企业，可积极推行非现场监管方式进行监管"),
            Note("more frequent checks for units with violations found, strong public reaction, "
                 "high public attention, low credit or unstable compliance", "六（一）",
                 quote="可适当增加频次"),
            Note("lower share and frequency for units with good management, good credit and low "
                 "environmental risk", "六（一）",
                 quote="对环境管理水平高、信用较好、环境风险较低的企业，可适当减少抽查比例和频次"),
        ),
        matters=(routine_matter("四（一）"),
                 *(Matter(f"M{index:02d}", name, "二（二）")
                   for index, name in enumerate(_MATTERS, start=2))),
        draw_exclusions=(DrawExclusion(
            "inspected-clean-by-higher-level",
            "already inspected this year by a higher level, every result 01", "四（三）",
            inspected_clean_this_year(higher_level_only=True), exempt=frozenset({X}),
            quote="同一年度中已由上级抽查且未发现生态环境问题的，可在随机抽查时予以排除",
            enabled=exclude_inspected_clean, levels=frozenset({COUNTY})),),
        matter_list=bundled_matters(NAME),
        done_when_published="五（三）",
        withholding="五（三）",
        statutory_dates=(StatutoryDate(
            "annual-plan", Duty.ANNUAL_PLAN, "年度抽查工作计划", Per.YEAR, OnDay(1, 31), "四（一）",
            quote="各区县（市）生态环境分局应在年初制定年度抽查工作计划",
            reading="年初: read as by the end of January (the text gives no day)"),),
    )


@hookimpl
def register_policies(register: Callable[[PolicySpec], None]) -> None:
    """益阳市 (Hunan), 2021 方案."""
    register(PolicySpec(NAME, LOCALITY, build, version=VERSION,
                        description="益阳市生态环境“双随机、一公开”监管工作实施方案 (2021)",
                        region="430900"))
