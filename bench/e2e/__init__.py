"""The end-to-end benchmark: the whole running stack under gRPC load, stage by stage.

`python -m bench.e2e` (see __main__) measures the machine's two limits, then a saturation
run and fixed-rate runs, and writes a Markdown report with PNG plots under var/reports/.
"""
