# The harness's own host test: the boot judge, the case parser and host-mode counting.
HOST_TESTS += tests/boot/judge_test.py
