"""A simulator of the permit platform: real HTTP, deterministic data, faults on demand."""
