"""Speed and scale benchmarks, apart from the tests: ``python -m bench scale --passages 100000 --index DIR --json FILE``."""
