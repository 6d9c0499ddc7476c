"""Platform simulators as the demo, the tests and `simulate` run them: serving, starting, synthetic
data, the demo.
"""
