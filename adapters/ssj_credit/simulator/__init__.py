"""A simulator of the credit service: real HTTP, GB18030 XML, deterministic data, faults on demand."""
