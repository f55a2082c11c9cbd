"""Counting outcomes, the per-suite results files and the closing lines."""
import os
import re

RESULT_RE = re.compile(r"^passed=(\d+) failed=(\d+) skipped=(\d+)$")


class Tally:
    def __init__(self, passed=0, failed=0, skipped=0):
        self.passed, self.failed, self.skipped = passed, failed, skipped

    def add(self, status):
        if status == "PASS":
            self.passed += 1
        elif status == "SKIP":
            self.skipped += 1
        else:
            self.failed += 1

    def merge(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def line(self):
        s = f"{self.passed} passed, {self.failed} failed"
        return s + (f", {self.skipped} skipped" if self.skipped else "")


def results_path(build, suite):
    return os.path.join(build, "test-results", suite + ".res")


def clear_results(build, suite):
    """A suite that dies before its end must not leave an older run's results behind."""
    try:
        os.remove(results_path(build, suite))
    except FileNotFoundError:
        pass


def write_results(build, suite, tally):
    path = results_path(build, suite)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(f"passed={tally.passed} failed={tally.failed} skipped={tally.skipped}\n")


def read_results(build, suite):
    """The suite's tally, or None when the suite left no (readable) results file."""
    try:
        with open(results_path(build, suite)) as f:
            m = RESULT_RE.match(f.read().strip())
    except OSError:
        return None
    return Tally(*map(int, m.groups())) if m else None
