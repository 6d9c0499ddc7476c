"""Adapter for the national pollutant-discharge permit platform (全国排污许可证管理信息平台)."""

PLATFORM = "permit"
