"""Host mode: runs HOST_TESTS programs and counts their VERDICT lines."""
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from .console import parse_text
from .report import Tally


def _describe_end(rc, timed_out, limit):
    if timed_out:
        return f"timed out after {limit}s"
    if rc < 0:
        try:
            return f"killed by signal {-rc} ({signal.Signals(-rc).name})"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exited with status {rc}"


def run_one(exe, log_dir, limit):
    """Runs one test program; returns (exe, seconds, rc, timed_out, console, log path)."""
    log = os.path.join(log_dir, exe.strip("./").replace("/", "_") + ".log")
    start = time.monotonic()
    timed_out, rc, out = False, 0, b""
    if not os.access(exe, os.X_OK):
        return exe, 0.0, None, False, parse_text(""), log
    proc = subprocess.Popen([os.path.abspath(exe)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    rc = proc.returncode
    with open(log, "wb") as f:
        f.write(out)
    return exe, time.monotonic() - start, rc, timed_out, parse_text(out.decode("utf-8", "replace")), log


def judge_one(result, limit, tally, out):
    exe, secs, rc, timed_out, con, log = result
    if rc is None:
        tally.add("FAIL")
        out(f"FAIL {exe} (0.0s): not built or not executable (see the build output above)")
        return
    verdicts = con.events["verdict"]
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for v in verdicts:
        counts[v["status"]] += 1
        tally.add(v["status"])
        if v["status"] == "FAIL":
            out(f"FAIL {v['name']} (in {exe}): {v['detail'] or 'no detail'}")
    skips = [v for v in verdicts if v["status"] == "SKIP"]
    if skips:
        more = f" and {len(skips) - 1} more (see the log)" if len(skips) > 1 else ""
        out(f"SKIP {skips[0]['name']} (in {exe}): {skips[0]['detail'] or 'no detail'}{more}")
    trouble = ""
    if (rc != 0 or timed_out) and not counts["FAIL"]:
        trouble = f"{_describe_end(rc, timed_out, limit)} with no FAIL verdict"
    elif not verdicts:
        trouble = "reported no VERDICT lines"
    if trouble:
        tally.add("FAIL")
        out(f"FAIL {exe} ({secs:.1f}s): {trouble}; last line: '{con.last_line()}'\n     log: {log}")
        return
    status = "FAIL" if counts["FAIL"] else "PASS"
    detail = f"{counts['PASS']} passed, {counts['FAIL']} failed" + \
        (f", {counts['SKIP']} skipped" if counts["SKIP"] else "")
    out(f"{status} {exe} ({secs:.1f}s): {detail}" + (f"\n     log: {log}" if counts["FAIL"] else ""))


def run_host(exes, build, jobs, limit, out):
    log_dir = os.path.join(build, "test-logs", "host")
    os.makedirs(log_dir, exist_ok=True)
    tally = Tally()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, exe, log_dir, limit) for exe in exes]
        for fut in futures:
            judge_one(fut.result(), limit, tally, out)
    return tally
