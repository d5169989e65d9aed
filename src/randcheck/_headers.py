"""The Chinese header vocabulary of the directories and the results (private; data only).

Each mapping gives, per canonical column name, the Chinese headers a county's export may use for
it, the first one being the one randcheck writes (``headers="zh"``). The roster's column table
(:data:`randcheck.roster.TARGET_COLUMNS`, :data:`~randcheck.roster.OFFICER_COLUMNS`), the result
table (:data:`randcheck.results.RESULT_HEADERS`) and the tables written with Chinese headers
(``_tables.zh_header``) all read them from here, so that a table written in Chinese reads back
through the same loaders. This module imports nothing from randcheck.
"""

from __future__ import annotations

from typing import Final

__all__ = ["OFFICER_HEADERS", "RESULT_HEADERS", "TARGET_HEADERS"]

#: Chinese headers accepted for each column of the target directory (检查对象名录库).
TARGET_HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码"),
    "name": ("企业名称", "名称", "主体名称"),
    "risk_class": ("信用风险等级", "风险等级", "信用风险分类", "风险分类"),
    "industry": ("行业", "所属行业", "行业类别"),
    "area": ("行政区划", "区域", "所属区域", "区划代码"),
    "status": ("登记状态", "经营状态"),
    "tags": ("标签", "分类标注"),
    "abnormal": ("经营异常名录", "经营异常", "列入经营异常名录"),
    "complaints": ("投诉", "投诉次数", "投诉举报"),
    "last_inspected": ("上次检查日期", "最近检查日期", "上次抽查日期"),
}

#: Chinese headers accepted for each column of the officer directory (执法检查人员名录库).
OFFICER_HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "officer_id": ("执法证号", "人员编号", "编号"),
    "name": ("姓名",),
    "unit": ("单位", "所属单位", "执法队伍", "中队"),
    "department": ("部门", "所属部门"),
    "area": ("负责区域", "责任区域", "辖区"),
    "skills": ("专长", "技能", "专业"),
    "expert": ("专家", "专家库"),
    "active": ("在岗", "状态", "有效"),
    "load_cap": ("任务上限", "最大任务数"),
}

#: Chinese headers accepted for each column of the inspection results (as county result exports
#: write them).
RESULT_HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "result_id": ("结果编号", "记录编号"),
    "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码"),
    "item": ("抽查事项", "事项编码", "抽查事项编码"),
    "department": ("检查实施机关", "实施部门", "部门"),
    "task": ("抽查任务", "任务名称", "任务"),
    "methods": ("检查方式", "核查方式"),
    "categories": ("检查结果", "抽查结果"),
    "followups": ("后续处置", "处置措施", "后续处理"),
    "inspectors": ("检查人员", "执法人员"),
    "inspection_end": ("检查结束日期", "检查完成日期", "检查日期"),
    "entered_by": ("录入人", "录入人员"),
    "entered_on": ("录入日期", "结果录入日期"),
    "published_on": ("公示日期", "结果公示日期"),
    "closed_on": ("办结日期", "结案日期"),
}
