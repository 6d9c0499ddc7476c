"""Adapter for the credit systems data service v2: environmental credit evaluations (环境信用评价)
and market regulation's enterprise credit risk classes (企业信用风险分类)."""

PLATFORM = "credit"
