"""Adapter for the provincial double-random platform (省"双随机、一公开"监管工作平台), reference profile."""

PLATFORM = "province"
