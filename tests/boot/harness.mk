# The harness's own host test (the boot judge, the case parser, host-mode counting) and the
# boot-path benchmark.
HOST_TESTS += tests/boot/judge_test.py
BENCHES += tests/boot/bench_boot.py
