"""衢州市污染源日常环境监管"双随机"抽查办法落实细化方案 (2017), `sources/quzhou.txt`.

Two policies from one text, for the two levels that draw (一（三）, 一（四）):
- `quzhou-city`: KEY 国控 and 省控 units, GENERAL 市控 units; per quarter KEY ≥ 5 %,
  GENERAL ceil(1.25 × inspectors), SPECIAL ≥ 10 %.
- `quzhou-county`: KEY 市控 and above, GENERAL 县控; per quarter KEY ≥ 25 % and every KEY unit
  once a year, GENERAL ceil(2.5 × inspectors), SPECIAL ≥ 30 %.
A unit without a control level (`控制级别`) is in neither KEY nor GENERAL. SPECIAL is a library of
its own that may overlap KEY and GENERAL (投诉举报多: 10 or more complaints in the quarter before
the draw, which picks the next quarter's list before it starts; a
serious violation on record: 行政处罚; 环境风险; 有毒化学品; 媒体曝光; 平台报警): its population
counts every unit in it and its units' primary category is SPECIAL.
At most 2 checks of one unit a year, SPECIAL excepted. Results are entered within 7 working days
of the check (二（二）); the text sets no publication deadline, so the default applies.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ssj_bridge.api import (
    BeforeQuarterEnds,
    Category,
    CheckLimit,
    ConflictAction,
    ConflictRule,
    CountedFrom,
    Deadline,
    DeadlineKind,
    Duty,
    Evidence,
    Note,
    NoteKind,
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
from ssj_policies._common import bundled_matters, default_publication, routine_matter

LOCALITY_CITY = "衢州市（市级）"
LOCALITY_COUNTY = "衢州市（县级）"
SOURCE = "quzhou.txt"
VERSION = "2017.1"
COMPLAINTS_THRESHOLD = 10

K, G, X = Category.KEY, Category.GENERAL, Category.SPECIAL

SPECIAL_RULES = (
    # The next quarter's list is drawn in the last 5 working days of the quarter before (一（四）):
    # its complaints are the ones known then.
    Rule(X, "投诉举报多: 10 or more complaints in the quarter before the draw", "一（三）",
         lambda f: f.complaints_before_draw_at_least(COMPLAINTS_THRESHOLD), quote="投诉举报多"),
    Rule(X, "有严重违法违规记录 (行政处罚)", "一（三）",
         lambda f: f.tag(Tag.ADMINISTRATIVE_PENALTY.value), quote="有严重违法违规记录"),
    Rule(X, "环境风险等级高", "一（三）", lambda f: f.tag(Tag.ENVIRONMENTAL_RISK.value),
         quote="环境风险等级高"),
    Rule(X, "有毒化学品进出口环境管理登记涉及生产、使用和新化学物质生产、加工使用", "一（三）",
         lambda f: f.tag(Tag.TOXIC_CHEMICALS.value),
         quote="有毒化学品进出口环境管理登记涉及生产、使用和新化学物质生产、加工使用等情况的污染源"),
    Rule(X, "被主流媒体曝光并查实确有污染", "一（三）", lambda f: f.tag(Tag.MEDIA_EXPOSURE.value),
         quote="被主流媒体曝光并查实确有污染的企业"),
    Rule(X, "市智慧环保监控平台报警派单", "一（三）", lambda f: f.tag(Tag.PLATFORM_ALARM.value),
         quote="市智慧环保监控平台报警派单的企业"),
)

CHECK_LIMIT = CheckLimit(2, frozenset({X}), "一（四）",
                         quote="原则上，在同一年度内对同一污染源的抽查次数不超过2次，特殊监管对象不受该条款约束")

COMMON_NOTES = (
    Note("names of subjects and inspectors are masked while drawing", "二（四）",
         kind=NoteKind.PROCEDURE, quote="污染源名称和执法检查人员姓名等信息应当屏蔽"),
    Note("the drawn list stays secret until the on-site inspection", "二（四）",
         kind=NoteKind.PROCEDURE, quote="在现场检查工作实施前，随机抽查名单应当保密"),
    Note("the list, once drawn, is not changed", "二（一）", kind=NoteKind.PROCEDURE,
         quote="污染源日常环境监管随机抽查名单一经确定，不得随意变更"),
    Note("last quarter's checks and their outcome are published through 浙江政务服务网",
         "二（五）", kind=NoteKind.PROCEDURE,
         quote="通过浙江政务服务网及时将上季度随机抽查情况和查处结果向社会公开"),
)


STATUTORY_DATES = (
    StatutoryDate("annual-plan", Duty.ANNUAL_PLAN, "《环境监察年度工作计划》（下一年度被抽查单位数量）",
                  Per.YEAR, OnDay(12, 31, years_after=-1), "一（四）",
                  quote="市、县两级环保部门每年12月底前，按照本单位确定的抽查比例，确定下一年度被抽查单位"
                        "数量（家次），纳入本级《环境监察年度工作计划》，报上级环保部门备案",
                  to="上级环保部门（备案）"),
    StatutoryDate("next-quarter-draw", Duty.NEXT_QUARTER_DRAW, "下一季度被抽查单位名单", Per.QUARTER,
                  BeforeQuarterEnds(5), "一（四）",
                  quote="于每季度结束前5个工作日内，采用摇号等方式确定下一季度被抽查单位名单",
                  reading="the list of a quarter is fixed in the last 5 working days of the quarter "
                          "before: by the 5th working day before it ends at the earliest, by its "
                          "last day at the latest; reported against the first"),
)


def _level(levels: tuple[str, ...]) -> Callable[[SubjectFacts], Evidence | None]:
    return lambda f: f.tag(Tag.CONTROL_LEVEL.value, levels)


def build_city() -> RuleBook:
    """衢州 city level: 国控/省控 KEY, 市控 GENERAL."""
    return _build(
        "quzhou-city", LOCALITY_CITY,
        key=Rule(K, "市级抽查的重点排污单位为国、省控企业", "一（三）", _level(("国控", "省控")),
                 quote="市级环保部门抽查的重点排污单位为国、省控企业"),
        general=Rule(G, "市控企业（不含国、省控）为一般排污单位", "一（三）", _level(("市控",)),
                     quote="市控企业（不含国、省控）为一般排污单位"),
        obligations=(
            Obligation(K, Per.QUARTER, ObligationKind.RATIO, percent("5"),
                       "市级每季度至少对5%的重点排污单位进行抽查", "一（四）",
                       quote="市级环保部门每季度至少对本行政区域5%的重点排污单位进行抽查"),
            Obligation(G, Per.QUARTER, ObligationKind.PER_INSPECTOR, Fraction(5, 4),
                       "市级每季度至少按照1:1.25的比例对一般排污单位进行抽查", "一（四）",
                       quote="市级环保部门每季度至少按照1:1.25的比例"),
            Obligation(X, Per.QUARTER, ObligationKind.RATIO, percent("10"),
                       "市级每季度至少对10%的特殊监管对象进行抽查", "一（四）",
                       quote="市级环保部门每季度至少对本行政区域10%的特殊监管对象进行抽查"),
        ))


def build_county() -> RuleBook:
    """衢州 county level: 市控 and above KEY, 县控 GENERAL."""
    return _build(
        "quzhou-county", LOCALITY_COUNTY,
        key=Rule(K, "县级抽查的重点排污单位为市控及以上企业", "一（三）", _level(("国控", "省控", "市控")),
                 quote="县级环保部门抽查的重点排污单位为市控及以上企业"),
        general=Rule(G, "县控企业（不含市控）为一般排污单位", "一（三）", _level(("县控",)),
                     quote="县控企业（不含市控）为一般排污单位"),
        obligations=(
            Obligation(K, Per.QUARTER, ObligationKind.RATIO, percent("25"),
                       "县级每季度至少对25%的重点排污单位进行抽查", "一（四）",
                       quote="县级环保部门每季度至少对本行政区域25%的重点排污单位进行抽查"),
            Obligation(K, Per.YEAR, ObligationKind.FULL_COVERAGE, percent("100"),
                       "每年对辖区所有重点排污单位开展一遍巡查", "一（四）",
                       quote="原则上应保证每年对辖区所有重点排污单位开展一遍巡查"),
            Obligation(G, Per.QUARTER, ObligationKind.PER_INSPECTOR, Fraction(5, 2),
                       "县级每季度至少按照1:2.5的比例对一般排污单位进行抽查", "一（四）",
                       quote="县级环保部门每季度至少按照1:2.5的比例对本行政区域一般排污单位进行抽查"),
            Obligation(X, Per.QUARTER, ObligationKind.RATIO, percent("30"),
                       "县级每季度至少对30%的特殊监管对象进行抽查", "一（四）",
                       quote="县级环保部门每季度至少对本行政区域30%的特殊监管对象进行抽查"),
        ))


def _build(name: str, locality: str, *, key: Rule, general: Rule,
           obligations: tuple[Obligation, ...]) -> RuleBook:
    # 一（四） 市级 "1:1.25（在编在岗的环境监察人员数量…）": the plan counts the drawing level's own
    # 在编在岗 staff (the city's, not the counties').
    return RuleBook(
        name=name,
        locality=locality,
        precedence=(X, K, G),
        overlapping=frozenset({X}),
        rules=(*SPECIAL_RULES, key, general),
        obligation_list=obligations,
        check_limit=CHECK_LIMIT,
        conflict=ConflictRule(ConflictAction.SWAP_OR_REDRAW, "二（一）",
                              quote="回避可采取与其他执法检查人员交换被检查对象的方式，也可以采取不参与本次执法检查的方式"),
        deadlines=(
            Deadline(DeadlineKind.RESULTS_ENTRY, 7, CountedFrom.INSPECTION, "二（二）",
                     quote="要在抽查工作结束后的7个工作日内将抽查结果填报至污染源日常监管动态信息库"),
            default_publication(),
        ),
        notes=COMMON_NOTES,
        statutory_dates=STATUTORY_DATES,
        matters=(routine_matter("一（二）"),),
        matter_list=bundled_matters(name),
    )


@hookimpl
def register_policies(register: Callable[[PolicySpec], None]) -> None:
    """衢州市 (Zhejiang), 2017 方案: the city and the county level."""
    description = "衢州市污染源日常环境监管“双随机”抽查办法落实细化方案 (2017)"
    register(PolicySpec("quzhou-city", LOCALITY_CITY, build_city, version=VERSION,
                        description=description + ", 市级", region="330800"))
    register(PolicySpec("quzhou-county", LOCALITY_COUNTY, build_county, version=VERSION,
                        description=description + ", 县级"))
