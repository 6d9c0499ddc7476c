"""The Chinese header of every column the project reads or writes in a spreadsheet.

These are part of the file formats, not translations: an import accepts a column under its
field name (interface.md: `inspectorId`) or under its Chinese header (`执法人员编号`), whatever
SSJ_LANGUAGE says, and an export written in Chinese is read back by the import. So they live
here, fixed with the formats, and not in the translation catalogue where a change of wording
would break the files people keep. A nested field is `parent.child` (`publication.status`).
"""

from __future__ import annotations

from collections.abc import Iterable

LABELS: dict[str, str] = {
    # the inspector roster
    "inspectorId": "执法人员编号", "name": "名称", "certNo": "执法证号", "orgCode": "所属机构代码",
    "regionCode": "行政区划代码", "expertise": "专业领域", "auxiliary": "辅助人员",
    "active": "在岗", "conflicts": "回避对象", "post": "职务岗位", "staffStatus": "在编在岗",
    "gender": "性别", "serviceYears": "工作年限",
    # subject designations
    "uscc": "统一社会信用代码", "tag": "标识", "value": "标识值", "since": "起始日期",
    "until": "截止日期", "source": "依据文件",
    # subjects
    "industryCode": "行业代码", "category": "监管类别", "categories": "所在名录",
    "managementClass": "管理类别", "keyDischargeUnit": "重点排污单位", "creditLevel": "信用等级",
    "riskClass": "风险分类", "tags": "标识",
    # tasks and their assignments
    "taskId": "任务编号", "matterCode": "抽查事项代码", "drawnBy": "抽取单位",
    "drawMode": "抽取方式", "period": "期间", "plannedStart": "计划开始", "plannedEnd": "计划结束",
    "status": "状态", "updateTime": "更新时间",
    "drawProof.algorithm": "抽取算法", "drawProof.label": "抽取标签", "drawProof.k": "抽取数量",
    "drawProof.candidatesHash": "候选名单哈希", "drawProof.commitment": "承诺值",
    "drawProof.witnessEntropy": "见证人文本", "drawProof.secret": "秘密值",
    "drawProof.inspectorCandidatesHash": "执法人员名单哈希",
    "assignments.uscc": "统一社会信用代码", "assignments.inspectorIds": "执法人员",
    "assignments.mode": "检查方式", "assignments.status": "检查状态",
    # results
    "resultCode": "结果代码", "inspectedOn": "检查日期", "inspectorIds": "执法人员",
    "findings": "检查发现", "rectificationDue": "整改期限", "caseNo": "案件编号",
    "resultId": "结果编号", "version": "版本", "publication.status": "公示状态",
    "publication.date": "公示日期", "publication.code": "公示回执代码",
    # draws
    "label": "抽取标签", "algorithm": "抽取算法", "candidates": "候选对象数",
    "candidatesHash": "候选名单哈希", "k": "抽取数量", "inspectorCandidates": "候选执法人员数",
    "inspectorCandidatesHash": "执法人员名单哈希", "commitment": "承诺值",
    "witnessEntropy": "见证人文本", "witnessed": "有见证", "secret": "秘密值",
    "committedAt": "承诺时间", "revealedAt": "揭示时间", "redraws": "重抽次数",
    "groups.uscc": "抽中对象", "groups.inspectorIds": "检查组执法人员",
    # the matter list (随机抽查事项清单) and the object library
    "objectKind": "对象类型", "level": "抽取层级", "departments": "实施部门",
    "ratio": "抽查比例", "minCount": "最少抽查数", "perInspector": "人均抽查数", "mode": "检查方式",
    "basis": "依据条款", "objectId": "对象编号", "subkind": "对象子类",
    # quarantine and breaks
    "platform": "平台", "entity": "数据类型", "key": "主键", "reason": "原因",
    "firstSeen": "首次发现", "lastSeen": "最近发现", "count": "次数", "kind": "差异类型",
    "differences": "差异内容", "runsOpen": "持续次数", "resolvedAt": "解决时间",
    "repairedAt": "修复发送时间", "field": "字段", "store": "本地库的值",
    "platformValue": "平台的值",
    # joint cross-department plans
    "planId": "计划编号", "leadOrg": "牵头部门", "partnerOrgs": "配合部门",
}


# Where one file calls a field otherwise: a person's name is 姓名, not 名称.
TABLE_LABELS: dict[str, dict[str, str]] = {
    "inspectors": {"name": "姓名"},
    "matters": {"name": "事项名称", "period": "抽查周期", "category": "抽查类别"},
    "objects": {"kind": "对象类型"},
    "joint": {"name": "计划名称", "matterCodes": "抽查事项代码", "period": "实施期间",
              "share": "联合抽查比例"},
}


def label(name: str, table: str | None = None) -> str:
    """The Chinese header of a column of `table` (its field name when it has none)."""
    return TABLE_LABELS.get(table or "", {}).get(name) or LABELS.get(name, name)


def aliases(columns: Iterable[str], table: str | None = None) -> dict[str, str]:
    """Header → field name for `columns`: each under its own name and its Chinese header."""
    found = {}
    for column in columns:
        found[column] = column
        found.setdefault(label(column, table), column)
    return found
