"""The Guangdong-style provincial double-random platform (docs/platforms/province-gd.md), as an ssj-bridge
adapter for the `province` role: SSJ_PROVINCE__ADAPTER=gd."""

PLATFORM = "gd"
ROLE = "province"
