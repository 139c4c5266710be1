"""`make bench`: Marketflow's own measurement of what every hot path costs at platform scale.

See ``bench/README.md``.
"""
