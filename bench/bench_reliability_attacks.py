"""The fault-injection attacks of issue 16, run for real against the kit, each outcome checked.

Every attack runs ``python -m agents run`` (or ``run_trials`` in a child Python) against the kit's
fake OpenAI-compatible server on loopback (:mod:`agents.testing.fake_server`, in this process),
in a temporary folder removed at the end: two and four processes on one run folder, torn tails,
a deleted manifest, cache identities, broken caches, escaping run names, a budget across resumes,
``Retry-After: 3600``, bodies that never end / drip / never come, a server that dies, SIGINT,
SIGTERM, ten SIGKILLs, junk lines, binary data, a 10^6-row data file and (as root) a full disk on
a 2 MB tmpfs. Each attack is bounded in time (its children are killed at their timeout).

    python bench/bench_reliability_attacks.py [--seed 0] [--keep]

One line per attack, ``held (what was seen)`` or ``NOT held: why``; an attack that cannot run
here (no root for a tmpfs) says ``skipped: why`` and is not counted. Last line:
``RESULT reliability_attacks_held K of N`` (N = every attack run). ``--only 1,12a`` runs a few (1 =
1a and 1b). About 6 minutes on 2 cores shared with other jobs (load ~6); the Retry-After and the
silent-server attacks wait out the kit's caps in the background while the others run. A child
past its time gets SIGABRT first, so its stderr (kept with ``--keep``) shows where it was stuck.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import REPO, SAMPLE

from agents.engine.records import RunFolder
from agents.tasks.hotpotqa.data import load_hotpotqa
from agents.testing.compare import comparable
from agents.testing.fake_server import FakeOpenAIServer, FaultPlan, scripted_brain

# The standard run every record comparison uses: ReAct, 12 questions x 3 trials, 4 at a time.
QUESTIONS, TRIALS, CONCURRENCY = 12, 3, 4
RETRY_AFTER_CAP_S = 120.0          # the kit's cap on a server's Retry-After (MAX_PAUSE_S / MAX_RETRY_AFTER_S)
BIG_ROWS = 1_000_000
BIG_LIMIT_S, BIG_LIMIT_MB = 10.0, 500.0
FOUR = " Easy.\nAction: Finish[4]"


# -- children ---------------------------------------------------------------------------------------
class Child:
    """A child process whose output goes to files (no pipe to fill) and whose peak RSS is read
    with ``wait4`` when it ends; killed at ``timeout`` seconds."""

    def __init__(self, argv: list[str], work: Path, env: dict[str, str] | None = None, timeout: float = 90):
        work.mkdir(parents=True, exist_ok=True)
        stem = work / f"child-{time.monotonic_ns()}"
        self.out_path, self.err_path = stem.with_suffix(".out"), stem.with_suffix(".err")
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.rc: int | None = None
        self.maxrss_mb = 0.0
        self.ended: float | None = None
        self.timed_out = False
        self._reap = threading.Lock()       # a watcher thread and the attack may both poll
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen([sys.executable, *argv], cwd=REPO, env=env or ENV,
                                          stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid
        CHILDREN.append(self)

    def poll(self) -> int | None:
        with self._reap:
            return self._poll()

    def watch(self) -> "Child":
        """Reap the child as soon as it ends (so ``wall`` is right for a child left running)."""
        threading.Thread(target=self.wait, daemon=True).start()
        return self

    def _poll(self) -> int | None:
        if self.rc is None:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.rc = os.waitstatus_to_exitcode(status)
                self.popen.returncode = self.rc        # reaped here: Popen must not wait again
                self.maxrss_mb = usage.ru_maxrss / 1024
                self.ended = time.monotonic()
            elif time.monotonic() > self.deadline and not self.timed_out:
                # Past its time: SIGABRT first, so faulthandler writes every thread's stack to the
                # child's stderr (what it was stuck on), then SIGKILL.
                self.timed_out = True
                self.popen.send_signal(signal.SIGABRT)
                threading.Timer(3.0, self._kill).start()
                time.sleep(0.05)
        return self.rc

    def wait(self) -> int:
        while self.poll() is None:
            time.sleep(0.02)
        return self.rc

    def _kill(self) -> None:
        if self.rc is None:
            try:
                self.popen.kill()
            except OSError:
                pass

    def signal(self, signum: int) -> None:
        if self.rc is None:
            os.kill(self.pid, signum)

    @property
    def wall(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    @property
    def out(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def err(self) -> str:
        return self.err_path.read_text(errors="replace")

    def tail(self, n: int = 300) -> str:
        text = (self.err.strip() or self.out.strip()).replace("\n", " | ")
        return text[-n:]


def cli(work: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Child:
    """``python -m agents run ARGS`` as a child."""
    return Child(["-m", "agents", "run", *args], work, env, timeout)


def run_args(url: str, out: Path, name: str, *extra: str, agent: str = "react", questions: int = QUESTIONS,
             trials: int = TRIALS, cache: bool = False, model: str = "scripted") -> list[str]:
    return ["--agent", agent, "--llm", f"openai-compatible:{model}", "--base-url", url, "--data", str(SAMPLE),
            "--questions", str(questions), "--trials", str(trials), "--concurrency", str(CONCURRENCY),
            "--out", str(out), "--run-name", name, *([] if cache else ["--no-cache"]), *extra]


def python_child(work: Path, code: str, *args: str, timeout: float = 90, env: dict[str, str] | None = None) -> Child:
    return Child(["-c", code, *args], work, env, timeout)


# -- run folders ------------------------------------------------------------------------------------
def folder_of(out: Path, name: str, agent: str = "react") -> Path:
    return out / agent / "reinagent" / name


def rows(folder: Path) -> list[dict]:
    path = folder / "attempts.jsonl"
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()] if path.exists() else []


def final(folder: Path) -> list[str]:
    return comparable(RunFolder(folder).load())


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def summary_attempted(folder: Path) -> int:
    import csv

    with open(folder / "summary.csv", newline="") as handle:
        return sum(int(row["attempted"]) for row in csv.DictReader(handle))


def keys_twice(records: list[dict]) -> int:
    keys = [(r["sample_id"], r["trial"], r.get("attempt_no", 1)) for r in records]
    return len(keys) - len(set(keys))


def wait_rows(folder: Path, n: int, child: Child, limit_s: float = 60) -> int:
    """Wait until attempts.jsonl holds ``n`` lines (or the child ends); the line count."""
    path = folder / "attempts.jsonl"
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        count = path.read_bytes().count(b"\n") if path.exists() else 0
        if count >= n or child.poll() is not None:
            return count
        time.sleep(0.02)
    return path.read_bytes().count(b"\n") if path.exists() else 0


class FirstCalls(FaultPlan):
    """Misbehave on the first ``first`` completion requests the server gets, then serve."""

    def __init__(self, kind: str, first: int = 1, **options):
        super().__init__(rate=1.0, kinds=(kind,), max_faults_per_prompt=10 ** 9, **options)
        self.first, self.seen, self.lock = first, 0, threading.Lock()

    def decide(self, prompt: str, attempt: int) -> str | None:
        with self.lock:
            self.seen += 1
            return self.kinds[0] if self.seen <= self.first else None


def server(brain=None, **options) -> FakeOpenAIServer:
    started = FakeOpenAIServer(brain or BRAIN, **options).start()
    SERVERS.append(started)
    return started


# -- the attacks ----------------------------------------------------------------------------------
@dataclass
class Outcome:
    held: bool
    detail: str
    skipped: bool = False


@dataclass
class Bench:
    tmp: Path
    seed: int
    results: list[tuple[str, str, Outcome]] = field(default_factory=list)
    clean: list[str] = field(default_factory=list)           # records of the uninterrupted standard run
    clean_dir: Path | None = None
    base_dir: Path | None = None                             # the standard run at 2 trials (to resume)
    url: str = ""
    only: tuple[str, ...] = ()                               # --only: codes (or their prefixes) to run

    def wants(self, code: str) -> bool:
        return not self.only or any(code == c or code.startswith(c) and code[len(c):].isalpha()
                                    for c in self.only)

    def work(self, name: str) -> Path:
        path = self.tmp / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def record(self, code: str, title: str, outcome: Outcome) -> None:
        self.results.append((code, title, outcome))
        state = ("skipped: " if outcome.skipped else "held" if outcome.held else "NOT held: ")
        detail = outcome.detail if not outcome.held or outcome.skipped else f" ({outcome.detail})"
        print(f"{code:4s} {title}: {state}{detail}", flush=True)

    def attack(self, code: str, title: str, fn, *args) -> None:
        if not self.wants(code):
            return
        started = time.monotonic()
        try:
            outcome = fn(*args)
        except Exception as error:  # an attack that crashed did not hold: say why, go on
            outcome = Outcome(False, f"the attack failed: {type(error).__name__}: {error}")
        outcome.detail += f"; {time.monotonic() - started:.1f} s"
        self.record(code, title, outcome)


def check(failures: list[str], condition: bool, why: str) -> None:
    if not condition:
        failures.append(why)


def verdict(failures: list[str], detail: str) -> Outcome:
    return Outcome(not failures, "; ".join(failures) if failures else detail)


def setup(bench: Bench) -> None:
    """The uninterrupted standard run (the reference) and a 2-trial run to copy and resume."""
    out = bench.work("reference")
    clean = cli(out, *run_args(bench.url, out, "clean"))
    base = cli(out, *run_args(bench.url, out, "base", trials=2))
    for child in (clean, base):
        if child.wait() != 0:
            raise SystemExit(f"the reference runs failed (exit {child.rc}): {child.tail()}")
    bench.clean_dir, bench.base_dir = folder_of(out, "clean"), folder_of(out, "base")
    bench.clean = final(bench.clean_dir)


def copy_run(bench: Bench, source: Path, work: str) -> tuple[Path, Path]:
    """A copy of a finished run folder under a fresh --out; (out, folder)."""
    out = bench.work(work)
    target = folder_of(out, source.name)
    shutil.copytree(source, target)
    (target / ".lock").unlink(missing_ok=True)
    return out, target


# 1 -------------------------------------------------------------------------------------------------
def two_processes(bench: Bench) -> Outcome:
    holder = server(latency_s=0.5)       # slow while the second process starts: the run is still going
    url = holder.base_url
    out, failures = bench.work("lock2"), []
    first = cli(out, *run_args(url, out, "shared"))
    folder = folder_of(out, "shared")
    wait_rows(folder, 2, first)
    second = cli(out, *run_args(url, out, "shared"))
    second.wait()
    holder.latency_s = 0.0
    first_rc = first.wait()
    check(failures, first.rc is not None and second.poll() is not None, "a child did not end")
    check(failures, second.rc != 0, f"the second process exited {second.rc}")
    check(failures, f"in use by pid {first.pid}" in second.err,
          f"the second process did not name the holder (pid {first.pid}): {second.tail()}")
    check(failures, first_rc == 0, f"the first process exited {first_rc}: {first.tail()}")
    records = rows(folder)
    check(failures, keys_twice(records) == 0, f"{keys_twice(records)} attempts written twice")
    check(failures, not list(folder.glob("*.tmp*")), "temp files left behind")
    check(failures, final(folder) == bench.clean, "records differ from the uninterrupted run")
    return verdict(failures, f"second exited {second.rc} naming pid {first.pid}; {len(records)} rows, "
                             f"no duplicate (sample, trial); records = uninterrupted run's")


def four_processes(bench: Bench) -> Outcome:
    holder = server(latency_s=0.5)       # slow until three have ended: the holder is still running
    url = holder.base_url
    out, failures = bench.work("lock4"), []
    children = [cli(out, *run_args(url, out, "shared")) for _ in range(4)]
    deadline = time.monotonic() + 60
    while sum(child.poll() is not None for child in children) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    holder.latency_s = 0.0
    codes = [child.wait() for child in children]
    folder = folder_of(out, "shared")
    for child in children:
        if child.rc == 0:
            continue
        check(failures, "in use by pid" in child.err, f"pid {child.pid} exited {child.rc}: {child.tail()}")
        check(failures, "Traceback" not in child.err and ".tmp" not in child.err,
              f"pid {child.pid} crashed: {child.tail()}")
    check(failures, codes.count(0) >= 1, f"no process finished: exits {codes}")
    records = rows(folder)
    check(failures, keys_twice(records) == 0, f"{keys_twice(records)} attempts written twice")
    check(failures, not list(folder.glob("*.tmp*")), "temp files left behind")
    check(failures, final(folder) == bench.clean, "records differ from the uninterrupted run")
    refused = sum(code != 0 for code in codes)
    return verdict(failures, f"exits {codes}: {refused} refused naming the holder, no temp-name crash; "
                             f"{len(records)} rows, none twice")


# 2, 3 ----------------------------------------------------------------------------------------------
def truncated_newline(bench: Bench) -> Outcome:
    out, folder = copy_run(bench, bench.base_dir, "truncate")
    failures = []
    path = folder / "attempts.jsonl"
    before = path.read_bytes()
    subprocess.run(["truncate", "-s", "-1", str(path)], check=True, timeout=10)
    resumed = cli(out, *run_args(bench.url, out, "base", trials=3))
    resumed.wait()
    after = rows(folder)
    kept = [json.dumps(r, sort_keys=True) for r in after[:before.count(b"\n")]]
    original = [json.dumps(json.loads(line), sort_keys=True) for line in before.splitlines()]
    check(failures, resumed.rc == 0, f"resume exited {resumed.rc}: {resumed.tail()}")
    check(failures, kept == original, "a row of the first session was lost or changed")
    check(failures, summary_attempted(folder) == len(RunFolder(folder).load()),
          f"summary.csv counts {summary_attempted(folder)} attempts, the records {len(RunFolder(folder).load())}")
    check(failures, final(folder) == bench.clean, "records differ from the uninterrupted run")
    kept_rows = before.count(b"\n")
    return verdict(failures, f"{kept_rows} rows kept after truncate -s -1, {len(after)} after the "
                             f"resume = summary.csv; records = uninterrupted run's")


def utf8_tail(bench: Bench) -> Outcome:
    out, folder = copy_run(bench, bench.base_dir, "utf8")
    failures = []
    path = folder / "attempts.jsonl"
    before = path.read_bytes()
    torn = json.dumps({"sample_id": "x", "trial": 2, "input": "caf\u00e9 \u2014 torn"}, ensure_ascii=False).encode()
    path.write_bytes(before + torn[: torn.index("\u2014".encode()) + 1])     # cut inside the 3-byte dash
    resumed = cli(out, *run_args(bench.url, out, "base", trials=3))
    resumed.wait()
    data = path.read_bytes()
    check(failures, resumed.rc == 0, f"resume exited {resumed.rc}: {resumed.tail()}")
    check(failures, data.startswith(before), "the first session's rows changed")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        failures.append(f"attempts.jsonl is not UTF-8 after the resume: {error}")
    check(failures, "torn last line" in resumed.err, "no warning about the torn line")
    check(failures, final(folder) == bench.clean, "records differ from the uninterrupted run")
    return verdict(failures, "torn tail dropped with a warning naming attempts.jsonl, resume exit 0, "
                             "records = uninterrupted run's")


# 4 -------------------------------------------------------------------------------------------------
def no_manifest(bench: Bench, content: str | None) -> Outcome:
    out, folder = copy_run(bench, bench.base_dir, f"manifest-{'gone' if content is None else 'null'}")
    failures = []
    path = folder / "manifest.json"
    if content is None:
        path.unlink()
    else:
        path.write_text(content)
    before = (folder / "attempts.jsonl").read_bytes()
    refused = cli(out, *run_args(bench.url, out, "base", "--max-steps", "4", trials=3))
    refused.wait()
    check(failures, refused.rc not in (0, None), f"the resume was not refused (exit {refused.rc})")
    check(failures, "manifest.json" in refused.err, f"the error does not name manifest.json: {refused.tail()}")
    check(failures, (folder / "attempts.jsonl").read_bytes() == before, "attempts.jsonl changed")
    if content is None:
        check(failures, not path.exists(), "a manifest was written by the refused resume")
    else:
        check(failures, path.read_text() == content, "the refused resume rewrote the manifest")
    line = next((l for l in refused.err.splitlines() if "manifest" in l), "")
    # and the way on, when the user says so
    allowed = cli(out, *run_args(bench.url, out, "base", "--resume-without-manifest", trials=3))
    allowed.wait()
    check(failures, allowed.rc == 0, f"--resume-without-manifest exited {allowed.rc}: {allowed.tail()}")
    check(failures, (folder / "attempts.jsonl").read_bytes().startswith(before),
          "--resume-without-manifest changed recorded rows")
    return verdict(failures, f"refused, exit {refused.rc}, {line.strip()[:110]!r}; nothing rewritten; "
                             "--resume-without-manifest then resumes")


# 5 -------------------------------------------------------------------------------------------------
CACHE_PROBE = r"""
import json, sys
from agents.engine.runner import ResumeRefused, run_trials
from agents.llm import CallableLLM, make_llm
from agents.llm.cache import CachedLLM, ResponseCache
url, work = sys.argv[1], sys.argv[2]
questions = [{"id": f"q{i}", "question": f"What is {i}+{i}?", "answer": str(2 * i)} for i in range(1, 5)]
out = {}
# two plain functions
first = run_trials("cot_no_context", questions, n_trials=1, llm=lambda p: " 4.\nAction: Finish[4]",
                   root=work + "/fn", run_name="four", cache_path=work + "/c.sqlite", progress=False)
second = run_trials("cot_no_context", questions, n_trials=1, llm=lambda p: " b.\nAction: Finish[banana]",
                    root=work + "/fn", run_name="banana", cache_path=work + "/c.sqlite", progress=False)
out["callables"] = {"answers": sorted(set(second.answer)), "hits": int(second.cache_hits.sum())}
# extra_body: seed 1 then seed 2, the same prompt, one cache
cache = ResponseCache(work + "/c.sqlite")
def model(seed, name="scripted"):
    return make_llm(f"openai-compatible:{name}", base_url=url, extra_body={"seed": seed, "top_p": 0.9})
CachedLLM(model(1), cache).complete("2+2?")
again = CachedLLM(model(1), cache).complete("2+2?")
other = CachedLLM(model(2), cache).complete("2+2?")
run_trials("cot_no_context", questions, n_trials=1, llm=model(1), root=work + "/eb", run_name="s",
           cache_path=work + "/c.sqlite", progress=False)
try:
    run_trials("cot_no_context", questions, n_trials=1, llm=model(2), root=work + "/eb", run_name="s",
               cache_path=work + "/c.sqlite", progress=False)
    refused = ""
except ResumeRefused as error:
    refused = str(error)
out["extra_body"] = {"same_from_cache": again.from_cache, "other_from_cache": other.from_cache,
                     "refused": refused}
# another model name on the same server
alpha = CachedLLM(make_llm("openai-compatible:alpha", base_url=url), cache).complete("3+3?")
beta = CachedLLM(make_llm("openai-compatible:beta", base_url=url), cache).complete("3+3?")
out["model_name"] = {"alpha_from_cache": alpha.from_cache, "beta_from_cache": beta.from_cache}
print(json.dumps(out))
"""


def cache_identity(bench: Bench) -> list[tuple[str, str, Outcome]]:
    """Callables, extra_body and model names in one child Python; pools through the CLI."""
    results = []
    own = server(lambda prompt: FOUR)
    work = bench.work("cache-identity")
    probe = python_child(work, CACHE_PROBE, own.base_url, str(work), timeout=90)
    probe.wait()
    try:
        seen = json.loads(probe.out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        failed = Outcome(False, f"the probe exited {probe.rc}: {probe.tail()}")
        return [("5a", "two unnamed functions, one cache", failed),
                ("5b", "extra_body (seed) keyed, resume across it refused", failed),
                ("5d", "another model name on the same server", failed)]
    fn = seen["callables"]
    results.append(("5a", "two unnamed functions, one cache", Outcome(
        fn["answers"] == ["banana"] and fn["hits"] == 0,
        f"the second function's answers {fn['answers']}, {fn['hits']} cache hits")))
    eb = seen["extra_body"]
    results.append(("5b", "extra_body (seed) keyed, resume across it refused", Outcome(
        eb["same_from_cache"] and not eb["other_from_cache"] and "seed" in eb["refused"],
        f"seed 1 again from cache: {eb['same_from_cache']}, seed 2 from cache: {eb['other_from_cache']}; "
        f"resume with seed 2: {eb['refused'][:90]!r}")))
    mn = seen["model_name"]
    models = own.models
    results.append(("5d", "another model name on the same server", Outcome(
        not mn["beta_from_cache"] and models.get("alpha") == 1 and models.get("beta") == 1,
        f"beta from cache: {mn['beta_from_cache']}; the server saw alpha {models.get('alpha')}, "
        f"beta {models.get('beta')}")))
    return results


def cache_pool(bench: Bench) -> Outcome:
    work, failures = bench.work("cache-pool"), []
    env = {**ENV, "XDG_CACHE_HOME": str(work / "xdg")}
    a = [server(latency_s=0.0) for _ in range(2)]
    b = [server(latency_s=0.0) for _ in range(2)]
    counts = []
    for name, pool in (("a", a), ("b", b)):
        url = ",".join(s.base_url for s in pool)
        child = cli(work, *run_args(url, work, name, agent="cot_context", questions=6, trials=1, cache=True), env=env)
        child.wait()
        check(failures, child.rc == 0, f"pool {name} exited {child.rc}: {child.tail()}")
        counts.append(sum(s.served for s in pool))
    check(failures, counts[0] > 0 and counts[1] == counts[0],
          f"the second pool's servers served {counts[1]} calls, the first's {counts[0]}")
    return verdict(failures, f"pool A served {counts[0]} calls, pool B (other servers, same cache) {counts[1]}")


# 6 -------------------------------------------------------------------------------------------------
def cache_blocked(bench: Bench) -> Outcome:
    work, failures = bench.work("cache-blocked"), []
    blocker = work / "not-a-folder"
    blocker.write_text("a file where the cache's folder should be")
    child = cli(work, *run_args(bench.url, work, "blocked", agent="cot_context", questions=4, trials=2, cache=True),
                env={**ENV, "XDG_CACHE_HOME": str(blocker)})
    child.wait()
    check(failures, child.rc == 0, f"exited {child.rc}: {child.tail()}")
    check(failures, "cannot write the response cache" in child.err, f"no warning: {child.tail()}")
    errors = [r for r in rows(folder_of(work, "blocked", "cot_context")) if r.get("error")]
    check(failures, not errors, f"{len(errors)} attempts failed")
    return verdict(failures, "warned 'cannot write the response cache', went on uncached, exit 0, no attempt failed")


def cache_garbage(bench: Bench) -> Outcome:
    work, failures = bench.work("cache-garbage"), []
    path = work / "xdg" / "reinagent" / "responses.sqlite"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage" * 1000)
    child = cli(work, *run_args(bench.url, work, "g", agent="cot_context", questions=4, trials=1, cache=True),
                env={**ENV, "XDG_CACHE_HOME": str(work / "xdg")})
    child.wait()
    check(failures, child.rc == 1, f"exited {child.rc}")
    check(failures, str(path) in child.err and "--no-cache" in child.err,
          f"the error does not name the cache and the fix: {child.tail()}")
    check(failures, "Traceback" not in child.err, "a traceback")
    errors = [r for r in rows(folder_of(work, "g", "cot_context")) if r.get("error")]
    check(failures, not errors, f"{len(errors)} attempts failed for the cache's sake")
    line = next((l for l in child.err.splitlines() if str(path) in l), "")
    return verdict(failures, f"exit 1: {line.strip()[:140]!r}")


def _corrupt_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for at in range(page, len(data)):
        data[at] = (at * 131) % 251
    path.write_bytes(bytes(data))


def cache_corrupt_pages(bench: Bench) -> Outcome:
    work, failures = bench.work("cache-pages"), []
    env = {**ENV, "XDG_CACHE_HOME": str(work / "xdg")}
    fill = cli(work, *run_args(bench.url, work, "fill", agent="cot_context", questions=8, trials=2, cache=True),
               env=env)
    fill.wait()
    path = work / "xdg" / "reinagent" / "responses.sqlite"
    check(failures, fill.rc == 0 and path.exists(), f"the first run exited {fill.rc}: {fill.tail()}")
    _corrupt_pages(path)
    again = cli(work, *run_args(bench.url, work, "again", agent="cot_context", questions=8, trials=2, cache=True),
                env=env)
    again.wait()
    folder = folder_of(work, "again", "cot_context")
    check(failures, again.rc == 1, f"the second run exited {again.rc}")
    check(failures, str(path) in again.err, f"the error does not name the cache: {again.tail()}")
    errors = [r for r in rows(folder) if r.get("error")]
    check(failures, not errors, f"{len(errors)} attempts failed for the cache's sake")
    stopped = manifest(folder).get("stopped") if (folder / "manifest.json").exists() else "(no manifest)"
    return verdict(failures, f"exit 1 naming {path.name}, manifest stopped={stopped!r}, no attempt failed")


# 7 -------------------------------------------------------------------------------------------------
def run_name_escape(bench: Bench, name_of) -> Outcome:
    work, failures = bench.work(f"names-{time.monotonic_ns()}"), []
    root = work / "a" / "b" / "root"
    root.mkdir(parents=True)
    name = name_of(work)
    child = cli(work, *run_args(bench.url, root, name, agent="cot_context", questions=1, trials=1))
    child.wait()
    check(failures, child.rc not in (0, None), f"exited {child.rc}")
    check(failures, "plain folder name" in child.err, f"no message about the name: {child.tail()}")
    made = [p for p in work.rglob("*") if p.is_dir() and p != root and root not in p.parents
            and p not in root.parents]
    check(failures, not made, f"folders made outside --out: {made}")
    check(failures, not (Path(name).is_absolute() and Path(name).exists()), f"{name} was created")
    return verdict(failures, f"--run-name {name if not Path(name).is_absolute() else '<absolute>'}: exit "
                             f"{child.rc}, nothing written outside --out")


# 8 -------------------------------------------------------------------------------------------------
def budget_across_resumes(bench: Bench) -> Outcome:
    priced = server(model_name="gpt-4o-mini")
    work, failures = bench.work("budget"), []
    budget = 0.004
    spends, calls = [], []
    for session in range(4):
        child = cli(work, *run_args(priced.base_url, work, "b", "--budget-usd", str(budget), model="gpt-4o-mini"))
        child.wait()
        check(failures, child.rc == 0, f"session {session + 1} exited {child.rc}: {child.tail()}")
        records = rows(folder_of(work, "b"))
        spends.append(sum(r["paid"]["cost_usd"] for r in records))
        calls.append(priced.served)
    per_attempt = max((r["paid"]["cost_usd"] for r in rows(folder_of(work, "b"))), default=0.0)
    check(failures, spends[-1] == spends[0] and calls[-1] == calls[0],
          f"resumed sessions spent more: {[round(s, 5) for s in spends]} USD, {calls} calls")
    check(failures, spends[0] <= budget + CONCURRENCY * per_attempt,
          f"the first session spent {spends[0]:.5f} USD on a {budget} budget")
    return verdict(failures, f"budget {budget} USD: spend after sessions 1-4 {[round(s, 5) for s in spends]} USD "
                             f"(at most {CONCURRENCY} attempts in flight past it, {per_attempt:.5f} each); "
                             f"calls {calls}")


# 9 -------------------------------------------------------------------------------------------------
def start_retry_after(bench: Bench) -> tuple[Child, FakeOpenAIServer]:
    capped = server(lambda prompt: FOUR, faults=FirstCalls("429", retry_after_s=3600))
    work = bench.work("retry-after")
    child = cli(work, *run_args(capped.base_url, work, "r", agent="cot_context", questions=1, trials=1),
                timeout=RETRY_AFTER_CAP_S + 90)
    return child.watch(), capped


def retry_after_result(child: Child, capped: FakeOpenAIServer) -> Outcome:
    child.wait()
    failures = []
    check(failures, not child.timed_out, f"still running after {child.wall:.0f} s")
    check(failures, child.rc == 0, f"exited {child.rc}: {child.tail()}")
    check(failures, child.wall < RETRY_AFTER_CAP_S + 40, f"took {child.wall:.0f} s")
    said = next((l for l in child.err.replace("\r", "\n").splitlines() if "Retry-After" in l), "")
    check(failures, "3600" in said and "capped" in said, f"the progress line did not say it: {child.tail()}")
    return verdict(failures, f"429 with Retry-After: 3600, run done in {child.wall:.0f} s; said {said.strip()[:90]!r}")


# 10 ------------------------------------------------------------------------------------------------
def misbehaving(bench: Bench, kind: str) -> Outcome:
    bad = server(lambda prompt: FOUR, faults=FirstCalls(kind, drip_s=0.5))
    work, failures = bench.work(f"misbehave-{kind}"), []
    child = cli(work, *run_args(bad.base_url, work, kind, "--timeout", "3", agent="cot_context", questions=2,
                                trials=1), timeout=60)
    child.wait()
    records = rows(folder_of(work, kind, "cot_context"))
    check(failures, not child.timed_out, f"killed at the bench's limit after {child.wall:.0f} s")
    check(failures, child.maxrss_mb < 500, f"peak RSS {child.maxrss_mb:.0f} MB")
    if kind == "endless":
        errors = [r["error"] for r in records if r.get("error")]
        check(failures, any("too-large" in e or "bytes" in e for e in errors) or "bytes" in child.err,
              f"no size-cap error: {child.tail()}")
        check(failures, child.wall < 30, f"took {child.wall:.0f} s")
        shown = (errors or [""])[0][:100]
    else:
        check(failures, child.rc == 0, f"exited {child.rc}: {child.tail()}")
        check(failures, len(records) == 2 and not any(r.get("error") for r in records),
              f"records {len(records)}, errors {[r.get('error') for r in records]}")
        check(failures, child.wall < 25, f"took {child.wall:.0f} s")
        shown = "retried after the 3 s total deadline, both attempts recorded"
    return verdict(failures, f"{kind}: exit {child.rc} in {child.wall:.1f} s, peak RSS {child.maxrss_mb:.0f} MB; "
                             f"{shown}")


SLOW_TIMEOUT_S = 45     # past the kit's 30 s "slow" report (SLOW_AFTER_S)


def start_silent(bench: Bench) -> Child:
    silent = server(lambda prompt: FOUR, faults=FirstCalls("hang"))
    work = bench.work("silent")
    return cli(work, *run_args(silent.base_url, work, "s", "--timeout", str(SLOW_TIMEOUT_S), agent="cot_context",
                               questions=1, trials=1), timeout=SLOW_TIMEOUT_S + 40).watch()


def silent_result(child: Child) -> Outcome:
    child.wait()
    failures = []
    said = next((l for l in child.err.replace("\r", "\n").splitlines() if l.startswith("slow:")), "")
    check(failures, child.rc == 0, f"exited {child.rc}: {child.tail()}")
    check(failures, child.wall < SLOW_TIMEOUT_S + 30, f"took {child.wall:.0f} s")
    check(failures, "running for over" in said, f"nothing said about the slow call: {child.tail()}")
    return verdict(failures, f"a request never answered: given up at --timeout {SLOW_TIMEOUT_S} s and retried, "
                             f"run done in {child.wall:.0f} s; said {said.strip()[:70]!r}")


# 11 ------------------------------------------------------------------------------------------------
def dead_server(bench: Bench) -> Outcome:
    dying = server(latency_s=0.05)
    port = dying.port
    work, failures = bench.work("dead"), []
    child = cli(work, *run_args(dying.base_url, work, "dead"), timeout=120)
    folder = folder_of(work, "dead")
    wait_rows(folder, 3, child)
    dying.stop()
    stopped_at = time.monotonic()
    child.wait()
    took = child.ended - stopped_at
    check(failures, child.rc not in (0, None), f"exited {child.rc}")
    check(failures, took < 40, f"{took:.0f} s after the server died")
    check(failures, "resume with: python -m agents run" in child.err, f"no resume command: {child.tail()}")
    check(failures, (folder / "summary.csv").exists(), "no summary.csv")
    stopped = manifest(folder).get("stopped")
    check(failures, stopped == "server unreachable", f"manifest stopped={stopped!r}")
    errors = [r for r in rows(folder) if r.get("error")]
    check(failures, not errors, f"{len(errors)} attempts burned on the dead server")
    reborn = server(port=port)            # the server back where it was: the same command resumes
    resumed = cli(work, *run_args(reborn.base_url, work, "dead"))
    resumed.wait()
    check(failures, resumed.rc == 0, f"the resume exited {resumed.rc}: {resumed.tail()}")
    check(failures, final(folder) == bench.clean, "resumed records differ from the uninterrupted run")
    said = next((l for l in child.err.splitlines() if "refused" in l), "").strip()
    return verdict(failures, f"stopped {took:.1f} s after the server died, exit {child.rc}, "
                             f"{said[:80]!r}; resumed to the uninterrupted run's records")


# 12 ------------------------------------------------------------------------------------------------
def interrupted(bench: Bench, signum: int, code: int) -> Outcome:
    slow = server(latency_s=0.1)
    name = signal.Signals(signum).name
    work, failures = bench.work(f"signal-{name}"), []
    child = cli(work, *run_args(slow.base_url, work, "cut"))
    folder = folder_of(work, "cut")
    wait_rows(folder, 6, child)
    sent = time.monotonic()
    child.signal(signum)
    child.wait()
    took = child.ended - sent
    check(failures, child.rc == code, f"exited {child.rc}, not {code}")
    check(failures, took < 8, f"{took:.1f} s to stop")
    check(failures, "Traceback" not in child.err and "resume with: python -m agents run" in child.err,
          f"no resume command or a traceback: {child.tail()}")
    meta = manifest(folder)
    records = rows(folder)
    counters = meta.get("counters", {})
    check(failures, meta.get("stopped") == "interrupted", f"manifest stopped={meta.get('stopped')!r}")
    recorded_calls = sum(r["paid"]["llm_calls"] for r in records)
    unrecorded = counters.get("unrecorded", {}).get("llm_calls", 0)
    check(failures, counters.get("llm_calls") == recorded_calls + unrecorded,
          f"manifest llm_calls {counters.get('llm_calls')} != records {recorded_calls} + unrecorded {unrecorded}")
    check(failures, len(records) <= counters.get("llm_calls", 0) <= slow.served,
          f"{len(records)} records, {counters.get('llm_calls')} calls counted, {slow.served} served")
    check(failures, (folder / "summary.csv").exists(), "no summary.csv")
    served_at_stop = slow.served
    slow.latency_s = 0.0
    resumed = cli(work, *run_args(slow.base_url, work, "cut"))
    resumed.wait()
    check(failures, resumed.rc == 0, f"the resume exited {resumed.rc}: {resumed.tail()}")
    check(failures, final(folder) == bench.clean, "resumed records differ from the uninterrupted run")
    return verdict(failures, f"exit {child.rc} {took:.1f} s after {name}; {len(records)} records, "
                             f"{counters.get('llm_calls')} calls counted ({unrecorded} unrecorded), "
                             f"{served_at_stop} served; resumed to the uninterrupted run's records")


# 13 ------------------------------------------------------------------------------------------------
def sigkills(bench: Bench, kills: int = 10) -> Outcome:
    slow = server(latency_s=0.3)
    work, failures = bench.work("sigkill"), []
    folder = folder_of(work, "killed")
    rng = random.Random(bench.seed)
    done = sessions = 0
    for _ in range(kills):
        before = len(rows(folder))
        child = cli(work, *run_args(slow.base_url, work, "killed"))
        sessions += 1
        wait_rows(folder, before + 1, child)          # this session has written (or ended)...
        time.sleep(rng.uniform(0.0, 0.5))             # ...then a random moment, mid-call mostly
        if child.poll() is not None:
            break
        child.signal(signal.SIGKILL)
        child.wait()
        done += 1
    slow.latency_s = 0.0
    resumed = cli(work, *run_args(slow.base_url, work, "killed"))
    resumed.wait()
    check(failures, done == kills, f"only {done} kills landed before the run finished")
    check(failures, resumed.rc == 0, f"the resume exited {resumed.rc}: {resumed.tail()}")
    check(failures, final(folder) == bench.clean, "records differ from the uninterrupted run")
    meta, records = manifest(folder), rows(folder)
    counted = meta["counters"]["llm_calls"]
    recorded = sum(r["paid"]["llm_calls"] for r in records)
    check(failures, counted == recorded, f"manifest llm_calls {counted} != the records' {recorded}")
    # A call answered to a process killed before it wrote the attempt is paid but cannot be
    # recorded: at most the attempts in flight at each kill (4 x at most 8 calls).
    lost = slow.served - counted
    check(failures, 0 <= lost <= done * CONCURRENCY * 8,
          f"the server served {slow.served} calls, the manifest counts {counted}")
    check(failures, meta.get("sessions") == sessions + 1,
          f"manifest sessions {meta.get('sessions')}, not {sessions + 1}")
    return verdict(failures, f"{done} SIGKILLs then a resume: records = uninterrupted run's; manifest llm_calls "
                             f"{counted} = records' {recorded}; server served {slow.served} ({lost} answered "
                             f"to killed attempts in flight)")


# 14 ------------------------------------------------------------------------------------------------
def junk_line(bench: Bench, junk: str) -> Outcome:
    out, folder = copy_run(bench, bench.clean_dir, f"junk-{time.monotonic_ns()}")
    failures = []
    path = folder / "attempts.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    data = b"".join(lines[:2] + [junk.encode() + b"\n"] + lines[2:])
    path.write_bytes(data)
    child = cli(out, *run_args(bench.url, out, "clean"))
    child.wait()
    check(failures, child.rc == 1, f"exited {child.rc}")
    check(failures, "attempts.jsonl line 3" in child.err, f"line 3 of attempts.jsonl not named: {child.tail()}")
    check(failures, "Traceback" not in child.err, "a traceback")
    check(failures, path.read_bytes() == data, "attempts.jsonl changed")
    line = next((l for l in child.err.splitlines() if "line 3" in l), "")
    return verdict(failures, f"exit 1: {line.strip()[-110:]!r}")


def truncated_manifest(bench: Bench) -> Outcome:
    out, folder = copy_run(bench, bench.clean_dir, "manifest-cut")
    failures = []
    text = (folder / "manifest.json").read_text()[:40]
    (folder / "manifest.json").write_text(text)
    child = cli(out, *run_args(bench.url, out, "clean"))
    child.wait()
    check(failures, child.rc == 1, f"exited {child.rc}")
    check(failures, str(folder / "manifest.json") in child.err, f"manifest.json not named: {child.tail()}")
    check(failures, (folder / "manifest.json").read_text() == text, "the manifest was rewritten")
    line = next((l for l in child.err.splitlines() if "manifest.json" in l), "")
    return verdict(failures, f"exit 1: {line.strip()[-110:]!r}")


def binary_data(bench: Bench) -> Outcome:
    work, failures = bench.work("binary"), []
    path = work / "data.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    child = cli(work, "--agent", "cot_context", "--llm", "openai-compatible:scripted", "--base-url", bench.url,
                "--data", str(path), "--questions", "1", "--out", str(work))
    child.wait()
    check(failures, child.rc == 1, f"exited {child.rc}")
    check(failures, re.search(rf"{re.escape(str(path))} line \d+: not UTF-8", child.err) is not None,
          f"the file and line are not named: {child.tail()}")
    check(failures, "Traceback" not in child.err, "a traceback")
    return verdict(failures, f"exit 1: {child.err.strip().splitlines()[-1][-90:]!r}")


CONCURRENCY_PROBE = r"""
import sys
from agents.engine.runner import run_trials
try:
    run_trials("cot_no_context", [{"id": "q", "question": "2+2?", "answer": "4"}], n_trials=1,
               llm=lambda p: "Finish[4]", root=sys.argv[1], concurrency="4", cache=False, progress=False)
    print("accepted")
except ValueError as error:
    print(f"refused: {error}")
"""


def concurrency_string(bench: Bench) -> Outcome:
    work = bench.work("concurrency")
    child = python_child(work, CONCURRENCY_PROBE, str(work))
    child.wait()
    said = child.out.strip()
    ok = child.rc == 0 and (said == "accepted" or ("concurrency" in said and "refused" in said))
    return Outcome(ok, f"run_trials(concurrency='4'): {said[:100]!r}" if ok else
                   f"exit {child.rc}: {said or child.tail()}")


def not_text(bench: Bench) -> Outcome:
    bad = server(faults=FaultPlan(rate=1.0, kinds=("not_text",), max_faults_per_prompt=10 ** 9))
    work, failures = bench.work("not-text"), []
    child = cli(work, *run_args(bad.base_url, work, "n", agent="cot_context", questions=2, trials=1))
    child.wait()
    errors = [r["error"] for r in rows(folder_of(work, "n", "cot_context")) if r.get("error")]
    check(failures, child.rc == 1, f"exited {child.rc}")
    check(failures, any("not text" in e for e in errors) and "not text" in child.err,
          f"the error does not say the reply is not text: {child.tail()}")
    return verdict(failures, f"exit 1; {(errors or [''])[0][:110]!r}")


def empty_replies(bench: Bench) -> Outcome:
    silent = server(lambda prompt: "")
    work, failures = bench.work("empty"), []
    child = cli(work, *run_args(silent.base_url, work, "e", agent="cot_context", questions=6, trials=1))
    child.wait()
    said = next((l for l in child.err.splitlines() if "empty" in l), "")
    check(failures, "check the endpoint" in said, f"no warning: {child.tail()}")
    return verdict(failures, f"exit {child.rc}; warned {said.strip()[-100:]!r}")


# 15 ------------------------------------------------------------------------------------------------
def big_data(bench: Bench) -> Outcome:
    work = bench.work("big")
    path = work / "big.jsonl"
    row = ('{"id": "id%d", "question": "Question %d?", "answer": "a%d", "type": "bridge", "level": "hard", '
           '"supporting_facts": {"title": ["T"], "sent_id": [0]}, "context": {"title": ["T"], '
           '"sentences": [["Fact %d."]]}}\n')
    with open(path, "w") as handle:
        for start in range(0, BIG_ROWS, 100_000):
            handle.write("".join([row % (k, k, k, k) for k in range(start, start + 100_000)]))
    size_mb = path.stat().st_size / 1e6
    answers = server(lambda prompt: FOUR)
    common = ["--agent", "cot_no_context", "--llm", "openai-compatible:scripted", "--base-url", answers.base_url,
              "--questions", "5", "--trials", "1", "--no-cache"]
    small = cli(work, *common, "--data", str(SAMPLE), "--out", str(work / "small"), timeout=120)
    small.wait()
    big = cli(work, *common, "--data", str(path), "--out", str(work / "big"), timeout=120)
    big.wait()
    records = rows(next((work / "big").glob("cot_no_context/*/*"), work / "none"))
    failures = []
    check(failures, big.rc == 0 and len(records) == 5, f"exit {big.rc}, {len(records)} records: {big.tail()}")
    check(failures, big.wall - small.wall < BIG_LIMIT_S,
          f"{big.wall:.1f} s, {big.wall - small.wall:.1f} s more than on the 100-row file "
          f"(threshold {BIG_LIMIT_S:.0f} s more)")
    check(failures, big.maxrss_mb < BIG_LIMIT_MB, f"peak RSS {big.maxrss_mb:.0f} MB (threshold {BIG_LIMIT_MB:.0f} MB)")
    path.unlink()
    return verdict(failures, f"{BIG_ROWS:,} rows ({size_mb:.0f} MB), --questions 5: {big.wall:.1f} s, peak RSS "
                             f"{big.maxrss_mb:.0f} MB; the same run on the 100-row file: {small.wall:.1f} s, "
                             f"{small.maxrss_mb:.0f} MB (held: under {BIG_LIMIT_S:.0f} s more, under "
                             f"{BIG_LIMIT_MB:.0f} MB)")


class SmallDisk:
    """A 2 MB tmpfs (root only), unmounted on exit; ``None`` from :meth:`mount` with the reason."""

    def __init__(self, where: Path, options: str = "size=2m"):
        self.where, self.options, self.mounted = where, options, False

    def mount(self) -> str | None:
        if os.geteuid() != 0:
            return "a small tmpfs needs root to mount"
        self.where.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", self.options, "tmpfs", str(self.where)],
                              capture_output=True, text=True, timeout=30)
        if done.returncode:
            return f"mount -t tmpfs refused: {done.stderr.strip()}"
        self.mounted = True
        MOUNTS.append(self)
        return None

    def fill(self) -> None:
        with open(self.where / "filler", "wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise

    def umount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.where)], capture_output=True, timeout=30)
            self.mounted = False


def full_disk_run_folder(bench: Bench) -> Outcome:
    disk = SmallDisk(bench.work("full-disk") / "disk")
    why = disk.mount()
    if why:
        return Outcome(False, why, skipped=True)
    slow = server(latency_s=0.05)
    failures = []
    child = cli(disk.where, *run_args(slow.base_url, disk.where, "full"), timeout=90)
    folder = folder_of(disk.where, "full")
    wait_rows(folder, 8, child)
    disk.fill()
    filled = time.monotonic()
    child.wait()
    took = child.ended - filled
    raw = (folder / "attempts.jsonl").read_bytes()
    check(failures, child.rc == 1, f"exited {child.rc}: {child.tail()}")
    check(failures, took < 15, f"{took:.1f} s after the disk filled")
    check(failures, "No space left on device" in child.err and "resume" in child.err,
          f"the error does not say the disk is full and how to resume: {child.tail()}")
    check(failures, "Traceback" not in child.err, "a traceback")
    whole = raw.endswith(b"\n") and all(json.loads(line) for line in raw.splitlines())
    check(failures, whole, "a half-written line was left")
    (disk.where / "filler").unlink()
    resumed = cli(disk.where, *run_args(slow.base_url, disk.where, "full"))
    resumed.wait()
    check(failures, resumed.rc == 0, f"the resume exited {resumed.rc}: {resumed.tail()}")
    check(failures, final(folder) == bench.clean, "resumed records differ from the uninterrupted run")
    line = next((l for l in child.err.splitlines() if "No space" in l), "").strip()
    disk.umount()
    whole_rows = raw.count(b"\n")
    return verdict(failures, f"exit 1 {took:.1f} s after the 2 MB tmpfs filled ({whole_rows} whole rows): "
                             f"{line[:90]!r}; resumed to the uninterrupted run's records")


def full_disk_cache(bench: Bench) -> Outcome:
    disk = SmallDisk(bench.work("full-cache") / "disk")
    why = disk.mount()
    if why:
        return Outcome(False, why, skipped=True)
    slow = server(latency_s=0.02)
    work, failures = bench.work("full-cache"), []
    child = cli(work, *run_args(slow.base_url, work, "c", cache=True), env={**ENV, "XDG_CACHE_HOME": str(disk.where)})
    folder = folder_of(work, "c")
    wait_rows(folder, 4, child)
    disk.fill()
    child.wait()
    errors = [r["error"] for r in rows(folder) if r.get("error")]
    check(failures, child.rc == 0, f"exited {child.rc}: {child.tail()}")
    check(failures, "cannot write the response cache" in child.err, f"no warning: {child.tail()}")
    check(failures, not errors, f"{len(errors)} attempts failed: {errors[:1]}")
    check(failures, final(folder) == bench.clean, "records differ from the uninterrupted run")
    disk.umount()
    return verdict(failures, "the cache's 2 MB tmpfs filled mid-run: warned, went on uncached, exit 0, "
                             "no attempt failed, records = uninterrupted run's")


def read_only_cache(bench: Bench) -> Outcome:
    disk = SmallDisk(bench.work("ro-cache") / "disk", options="size=2m,ro")
    why = disk.mount()
    if why:
        return Outcome(False, why, skipped=True)
    work, failures = bench.work("ro-cache"), []
    child = cli(work, *run_args(bench.url, work, "ro", agent="cot_context", questions=4, trials=2, cache=True),
                env={**ENV, "XDG_CACHE_HOME": str(disk.where)})
    child.wait()
    errors = [r for r in rows(folder_of(work, "ro", "cot_context")) if r.get("error")]
    check(failures, child.rc == 0, f"exited {child.rc}: {child.tail()}")
    check(failures, "cannot write the response cache" in child.err, f"no warning: {child.tail()}")
    check(failures, not errors, f"{len(errors)} attempts failed")
    disk.umount()
    return verdict(failures, "cache on a read-only mount: warned, went on uncached, exit 0, no attempt failed")


# -- main ------------------------------------------------------------------------------------------
SERVERS: list[FakeOpenAIServer] = []
CHILDREN: list[Child] = []
MOUNTS: list[SmallDisk] = []
ENV: dict[str, str] = {}
BRAIN = None


# The CI size: attacks that take seconds each (lock, torn tails, manifest, names, signals, junk, data).
SMALL = ("1a", "2", "3", "4a", "7a", "7b", "12a", "14a", "14c", "14e", "14f")


def main() -> int:
    global BRAIN
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="when the SIGKILLs land")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    parser.add_argument("--only", default="", help="run only these attacks, e.g. 1a,12 (12 = 12a and 12b)")
    parser.add_argument("--small", action="store_true",
                        help="CI size (also BENCH_SMALL=1): the quick attacks only, " + ",".join(SMALL))
    args = parser.parse_args()
    if (args.small or os.environ.get("BENCH_SMALL")) and not args.only:
        args.only = ",".join(SMALL)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="reliability-attacks-"))
    ENV.update({k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"})
    ENV.update({"PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1",
                "XDG_CACHE_HOME": str(tmp / "xdg"),
                "HOTPOTQA_PATH": str(SAMPLE)})
    BRAIN = scripted_brain(load_hotpotqa(SAMPLE))
    bench = Bench(tmp=tmp, seed=args.seed, only=tuple(c.strip() for c in args.only.split(",") if c.strip()))
    print(f"reliability attacks (issue 16) on {REPO}: fake server on 127.0.0.1, work in {tmp}; "
          f"standard run: react, {QUESTIONS} questions x {TRIALS} trials, concurrency {CONCURRENCY}", flush=True)
    try:
        bench.url = server().base_url
        # these two wait (the kit's caps) in the background while the others run
        retry = start_retry_after(bench) if bench.wants("9") else None
        silent = start_silent(bench) if bench.wants("10s") else None
        setup(bench)
        bench.attack("1a", "two processes on one run folder", two_processes, bench)
        bench.attack("1b", "four processes on one run folder", four_processes, bench)
        bench.attack("2", "truncate -s -1 attempts.jsonl, then resume", truncated_newline, bench)
        bench.attack("3", "tail cut inside a UTF-8 character, then resume", utf8_tail, bench)
        bench.attack("4a", "manifest deleted, resume with --max-steps 4", no_manifest, bench, None)
        bench.attack("4b", "manifest 'null', resume with --max-steps 4", no_manifest, bench, "null")
        if any(bench.wants(code) for code in ("5a", "5b", "5d")):
            for code, title, outcome in cache_identity(bench):
                bench.record(code, title, outcome)
        bench.attack("5c", "a pool of other servers, one cache", cache_pool, bench)
        bench.attack("6a", "cache folder that cannot be made", cache_blocked, bench)
        bench.attack("6b", "cache file that is not a database", cache_garbage, bench)
        bench.attack("6c", "cache with corrupt pages", cache_corrupt_pages, bench)
        bench.attack("6d", "cache on a full disk (2 MB tmpfs)", full_disk_cache, bench)
        bench.attack("6e", "cache on a read-only mount", read_only_cache, bench)
        bench.attack("7a", "--run-name ../../x", run_name_escape, bench, lambda work: "../../x")
        bench.attack("7b", "--run-name <absolute path>", run_name_escape, bench,
                     lambda work: str(work / "elsewhere"))
        bench.attack("8", "--budget-usd across 4 sessions", budget_across_resumes, bench)
        for kind in ("endless", "drip", "hang"):
            bench.attack(f"10{kind[0]}", f"server: {kind} body, --timeout 3", misbehaving, bench, kind)
        bench.attack("11", "server dies mid-run", dead_server, bench)
        bench.attack("12a", "SIGINT mid-run", interrupted, bench, signal.SIGINT, 130)
        bench.attack("12b", "SIGTERM mid-run", interrupted, bench, signal.SIGTERM, 143)
        bench.attack("13", "10 random SIGKILLs, then resume", sigkills, bench)
        for code, junk in (("14a", "[1, 2]"), ("14b", "{}"), ("14c", '{"sample_id": "q0", "trial": "one"}')):
            bench.attack(code, f"junk line {junk} in attempts.jsonl", junk_line, bench, junk)
        bench.attack("14d", "truncated manifest.json", truncated_manifest, bench)
        bench.attack("14e", "binary data file", binary_data, bench)
        bench.attack("14f", "concurrency='4' from Python", concurrency_string, bench)
        bench.attack("14g", "server replies 42 (not text)", not_text, bench)
        bench.attack("14h", "server replies only empty text", empty_replies, bench)
        bench.attack("15a", f"{BIG_ROWS:,}-row data file, --questions 5", big_data, bench)
        bench.attack("15b", "run folder on a full disk (2 MB tmpfs)", full_disk_run_folder, bench)
        if silent:
            bench.record("10s", f"server never answers, --timeout {SLOW_TIMEOUT_S}", silent_result(silent))
        if retry:
            bench.record("9", "Retry-After: 3600", retry_after_result(*retry))
    finally:
        for child in CHILDREN:          # an attack that crashed may leave its child running
            child._kill()
        for disk in MOUNTS:
            disk.umount()
        for one in SERVERS:
            one.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    ran = [o for _, _, o in bench.results if not o.skipped]
    held = sum(o.held for o in ran)
    skipped = len(bench.results) - len(ran)
    print(f"{len(ran)} attacks run{f', {skipped} skipped' if skipped else ''} in {time.monotonic() - started:.0f} s")
    print(f"RESULT reliability_attacks_held {held} of {len(ran)}")
    return 0 if held == len(ran) else 1


if __name__ == "__main__":
    sys.exit(main())
