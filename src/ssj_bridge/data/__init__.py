"""Data files shipped with ssj-bridge (the default holiday file)."""
