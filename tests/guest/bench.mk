# The exit-path benchmark (tests/guest/bench.c, booted by bench_exits.py for `make bench`).
BENCHES += tests/guest/bench_exits.py
# The script needs the payload; it has no recipe of its own.
tests/guest/bench_exits.py: $(B)/guest/bench-64.elf
