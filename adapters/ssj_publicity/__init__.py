"""Adapter for the enterprise credit publicity system's data exchange (国家企业信用信息公示系统)."""

PLATFORM = "publicity"
