"""The plugin host: the hooks, loading plugins through their entry points, and the registry the
built-in features fill.
"""
