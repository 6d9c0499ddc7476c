"""A simulator of the provincial double-random platform: real HTTP, signed requests, faults on demand."""
