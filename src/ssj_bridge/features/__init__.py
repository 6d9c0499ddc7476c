"""The domain features: libraries, tasks, results, publications and their deadlines, credit. Each
module exposes `register(registry)`.
"""
