"""2024年南山区生态环境领域"双随机、一公开"监管工作方案, `sources/nanshan.txt`.

The text does not define KEY and GENERAL; as policies/README.md reads it, KEY is a 重点管理
permit or a 重点排污单位 and GENERAL the rest of the library. SPECIAL (四（二）1 一是): an
environmental administrative penalty, credit 环保警示/环保不良 (WARNING or POOR; SEVERE, which the
Guangdong words do not have, counts as worse than POOR), VOCs grade C, 10 or more complaints in
the quarter before the draw (the list of 一是 is compiled by the 17th of the quarter's last month
and the next quarter drawn before it starts, 五（二）1); SPECIAL takes precedence over everything
below. Matters (四（二）2, 3): 建设项目, 入海排污口, 监测机构 and the three mobile-source libraries,
each with its own ratio (`matters/nanshan.csv`).
Left out of routine draws (二是, 三是; read as applying to every category): credit EXCELLENT or
GOOD, VOCs grade A, and positive-list units without a 重点管理 permit. Positive-list units with a
重点管理 permit stay KEY and are inspected off-site (非现场).
Quotas: per quarter KEY ≥ 12.5 %, GENERAL ceil(2.5 × inspectors), SPECIAL ≥ 25 %.
Publication (五（三）2): 18 working days after the task's checks end.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ssj_bridge.api import (
    AfterQuarterTasks,
    BeforeQuarterEnds,
    Category,
    CountedFrom,
    CreditTier,
    Deadline,
    DeadlineKind,
    Duty,
    Evidence,
    Exclusion,
    InspectionMode,
    ManagementClass,
    Matter,
    ModeRule,
    MonthOfQuarter,
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
from ssj_policies._common import bundled_matters, routine_matter

NAME = "nanshan"
LOCALITY = "深圳市南山区"
SOURCE = "nanshan.txt"
VERSION = "2024.1"
COMPLAINTS_THRESHOLD = 10

K, G, X = Category.KEY, Category.GENERAL, Category.SPECIAL
ONLY_SPECIAL = frozenset({X})


def _key(facts: SubjectFacts) -> Evidence | None:
    found = {**(facts.permit_class(ManagementClass.KEY) or {}), **(facts.key_discharge() or {})}
    return found or None


def _positive_list_without_key_permit(facts: SubjectFacts) -> Evidence | None:
    if facts.positive_list and facts.management_class is not ManagementClass.KEY:
        return {"positiveList": True,
                "managementClass": facts.management_class.value if facts.management_class else None}
    return None


def _positive_list_key_permit(facts: SubjectFacts) -> Evidence | None:
    if facts.positive_list and facts.management_class is ManagementClass.KEY:
        return {"positiveList": True, "managementClass": ManagementClass.KEY.value}
    return None


RULES = (
    Rule(X, "受到环境行政处罚", "四（二）1 一是", lambda f: f.tag(Tag.ADMINISTRATIVE_PENALTY.value),
         quote="受到环境行政处罚"),
    Rule(X, "环境信用等级评价结果为环保警示企业及环保不良企业 (WARNING or worse)", "四（二）1 一是",
         lambda f: f.credit_at_least_as_bad_as(CreditTier.WARNING),
         quote="环境信用等级评价结果为环保警示企业及环保不良企业"),
    Rule(X, "涉VOCs C级企业", "四（二）1 一是", lambda f: f.tag(Tag.VOCS.value, ("C",)),
         quote="涉 VOCs C 级企业"),
    # The list is compiled by the 17th of the quarter's last month and the next quarter drawn
    # before it starts (五（二）1): the complaints that count are the quarter's before.
    Rule(X, "季度内受到投诉10宗（含）以上 (the quarter before the draw)", "四（二）1 一是",
         lambda f: f.complaints_before_draw_at_least(COMPLAINTS_THRESHOLD),
         quote="季度内受到投诉 10 宗（含）以上的污染源"),
    Rule(K, "排污许可重点管理单位或重点排污单位 (the text does not define KEY)", "四（二）1", _key,
         quote="每季度按不少于 12.5% 的比例抽取重点监管对象"),
    Rule(G, "名录库中的其他单位 (the text does not define GENERAL)", "四（二）1", lambda f: {},
         quote="每季度至少按执法人员数量的 2.5 倍抽取一般监管对象", fallback=True),
)

EXCLUSIONS = (
    Exclusion("环境信用等级评价结果为环保诚信企业或环保良好企业: not in routine draws",
              "四（二）1 二是", lambda f: f.credit(CreditTier.EXCELLENT, CreditTier.GOOD),
              unless=ONLY_SPECIAL, quote="对环境信用等级评价结果为环保诚信企业或环保良好企业"),
    Exclusion("涉VOCs A级企业: not in routine draws", "四（二）1 二是",
              lambda f: f.tag(Tag.VOCS.value, ("A",)), unless=ONLY_SPECIAL,
              quote="涉 VOCs A 级企业不纳入双随机日常监管"),
    Exclusion("正面清单内非重点管理单位: not drawn", "四（二）1 三是",
              _positive_list_without_key_permit, unless=ONLY_SPECIAL,
              quote="其他类监管单位不抽查"),
)

OBLIGATIONS = (
    Obligation(K, Per.QUARTER, ObligationKind.RATIO, percent("12.5"),
               "每季度按不少于12.5%的比例抽取重点监管对象", "四（二）1",
               quote="每季度按不少于 12.5% 的比例抽取重点监管对象"),
    Obligation(G, Per.QUARTER, ObligationKind.PER_INSPECTOR, Fraction(5, 2),
               "每季度至少按执法人员数量的2.5倍抽取一般监管对象", "四（二）1",
               quote="每季度至少按执法人员数量的 2.5 倍抽取一般监管对象"),
    Obligation(X, Per.QUARTER, ObligationKind.RATIO, percent("25"),
               "每季度抽取不少于25%的特殊监管对象", "四（二）1 一是",
               quote="每季度抽取不少于 25% 的特殊监管对象"),
)


TO_DETACHMENT = "执法支队"
PROGRESS_QUOTE = "季度内各月的完成率依次为30%、60%、100%"
STATUTORY_DATES = (
    StatutoryDate("next-quarter-draw", Duty.NEXT_QUARTER_DRAW, "下一季度的任务抽查", Per.QUARTER,
                  BeforeQuarterEnds(5), "五（二）1",
                  quote="于当季结束前5个工作日完成下一季度的任务抽查"),
    *(StatutoryDate(f"progress-{month}", Duty.MONTHLY_PROGRESS,
                    f"季度内第{month}个月完成率 {share}%", Per.QUARTER, MonthOfQuarter(month),
                    "五（三）1", quote=PROGRESS_QUOTE, share=Fraction(share, 100))
      for month, share in ((1, 30), (2, 60), (3, 100))),
    StatutoryDate("ledger", Duty.LEDGER, "季度任务台账", Per.QUARTER, AfterQuarterTasks(13), "五（二）2",
                  quote="在双随机检查任务全部结束后13个自然日内，在省平台导出季度任务台账"),
    StatutoryDate("sea-outfalls", Duty.MATTER_DRAW, "入海排污口本年度检查任务", Per.YEAR, OnDay(2, 0),
                  "四（二）2", quote="每年 3 月份之前抽取入海排污口本年度检查任务", matter="M03",
                  reading="3月份之前: by the last day of February"),
    StatutoryDate("joint-tasks", Duty.JOINT_TASKS, "跨部门联合抽查任务", Per.YEAR, OnDay(10, 31), "四（四）",
                  quote="10 月底前完成所有跨部门联合抽查任务"),
    StatutoryDate("joint-summary", Duty.JOINT_REPORT, "本年度跨部门联合抽查工作总结", Per.YEAR,
                  OnDay(11, 5), "四（四）",
                  quote="11 月 5 日前由执法科二队安排专人报送本年度工作总结到执法支队",
                  to=TO_DETACHMENT),
    StatutoryDate("annual-summary", Duty.ANNUAL_REPORT, "全年双随机监管工作总结", Per.YEAR,
                  OnDay(12, 1), "五（一）2", quote="于每年12月1日前报执法支队", to=TO_DETACHMENT),
)


def build() -> RuleBook:
    """The 南山 policy."""
    return RuleBook(
        name=NAME,
        locality=LOCALITY,
        precedence=(X, K, G),
        rules=RULES,
        exclusions=EXCLUSIONS,
        modes=(ModeRule(K, InspectionMode.OFF_SITE,
                        "纳入正面清单管理的排污许可重点管理单位以非现场方式开展检查", "四（二）1 三是",
                        _positive_list_key_permit,
                        quote="对于纳入正面清单管理的排污许可重点管理单位以非现场方式开展检查"),),
        obligation_list=OBLIGATIONS,
        deadlines=(Deadline(DeadlineKind.PUBLICATION, 18, CountedFrom.TASK_COMPLETE, "五（三）2",
                            quote="在每一个双随机任务检查结束之日起18个工作日内"),),
        notes=(),
        matters=(routine_matter("四（二）1"),
                 Matter("M02", "一般建设项目、重点建设项目检查", "四（二）2"),
                 Matter("M03", "入海排污口检查", "四（二）2"),
                 Matter("M04", "社会生态环境监测机构检查", "四（二）2"),
                 Matter("M05", "柴油车用车大户检查", "四（二）3"),
                 Matter("M06", "机动车排放检验机构检查", "四（二）3"),
                 Matter("M07", "加油站和储油库检查", "四（二）3")),
        matter_list=bundled_matters(NAME),
        statutory_dates=STATUTORY_DATES,
    )


@hookimpl
def register_policies(register: Callable[[PolicySpec], None]) -> None:
    """深圳市南山区 (Guangdong), 2024 方案."""
    register(PolicySpec(NAME, LOCALITY, build, version=VERSION,
                        description="2024年南山区生态环境领域“双随机、一公开”监管工作方案",
                        region="440305"))
