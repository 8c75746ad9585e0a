"""One session of a run over its locked folder: agents built when a sample's first trial of the
session starts (and dropped when it is through), every attempt appended the moment it ends, the
manifest's counters kept current, and at the end the summary, the log and the manifest written.

A session's parts are the spec (what the run is), the resume state (where the folder stands), the
meter (what it paid) and the scheduler (who runs when); this module only joins them.
"""
from __future__ import annotations

import datetime as dt
import functools
import signal
import threading
import time
import warnings
from typing import Any

from ...llm.base import check_cancelled, clear_shutdown, set_status_sink
from ...llm.costs import cost_usd
from ...llm.pool import ServerPool
from ...reflexion import Agent, oracle_feedback
from ...types import Attempt, Sample, ends_trials
from ..records import ManifestWriter
from ..report import error_summary, format_log, summarize
from ..schema import KNOWN_OUTCOMES, RunRecord, outcome
from .meter import Meter
from .resume import ResumeState
from .schedule import (EMPTY_WARN_AFTER, BudgetExceeded, EmptyReplies, RunInterrupted, StatusLine, Stop, say, schedule,
                       signals)
from .spec import RunSpec
from ...memory.transfer.online import OnlineMemory
from ...memory.transfer.use import WithLearnt

def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Session:
    """The attempts of one session: :meth:`run` schedules them, :meth:`finish` writes what they left."""

    def __init__(self, spec: RunSpec, resume: ResumeState, meter: Meter, writer: ManifestWriter):
        self.spec, self.resume, self.meter, self.writer = spec, resume, meter, writer
        self.folder = spec.folder
        self.samples = {s.id: s for s in spec.samples}
        self.agents: dict[str, Agent] = {}
        self.failed_now: set[str] = set()
        self.stop = Stop()
        self.lock = threading.Lock()
        self.tally = dict.fromkeys(KNOWN_OUTCOMES, 0)
        self.last_saved = time.monotonic()
        self.warned_empty = False
        # A learnt memory (issue 20): kept in the folder; online, it learns after each sample.
        self.online = OnlineMemory(spec.memory, spec.folder.path) if spec.online else None
        if spec.memory is not None:
            spec.memory.save(spec.folder.path / "memory.json")
        self.pools = [m for m in {id(m): m for m in (spec.model, spec.reflector, spec.judge) if m}.values()
                      if hasattr(m, "server_stats")]
        remaining = sum(spec.n_trials - resume.status[s.id][0] for s in spec.samples if not resume.status[s.id][1])
        from ..progress import progress_bar  # in a notebook, a bar that an HTML export still shows
        self.bar = progress_bar(max(remaining, 0), "attempts", spec.progress)

    # -- one attempt ----------------------------------------------------------------------------
    def agent_of(self, sid: str) -> Agent:
        """The sample's agent, built on first use with its memory rebuilt from its records."""
        one = self.agents.get(sid)
        if one is None:
            spec, sample, meter = self.spec, self.samples[sid], self.meter
            feedback = (oracle_feedback(functools.partial(_evaluate, spec.evaluator, sample.target))
                        if spec.evaluator else spec.task.feedback(spec.feedback, sample, llm=meter.model,
                                                                   judge_llm=meter.judge))
            one = spec.task.build_agent(spec.agent, sample, llm=meter.model, reflect_llm=meter.reflector,
                                        strategy=spec.strategy, feedback=feedback, environment=spec.env,
                                        **spec.options)
            if spec.memory is not None:   # the learnt memory first, then the arm's own
                learnt = self.online.current() if self.online else spec.memory
                one.memory_store = WithLearnt(one.memory_store, learnt, self.samples)
            with self.lock:
                past = self.resume.recorded.pop(sid, [])
            one.restore([Attempt.from_record(record) for record in past])
            with self.lock:
                self.agents[sid] = one
        return one

    def next_trial(self, sid: str) -> int | None:
        attempts, solved = self.resume.status[sid]
        trial = attempts + 1
        if solved or sid in self.failed_now or trial > self.spec.n_trials or self.stop.reason:
            return None
        return trial

    def attempt_one(self, sid: str) -> dict[str, Any]:
        """Run the sample's next trial and append its record (on a worker thread)."""
        spec = self.spec
        if spec.budget_usd is not None and self.meter.spend() >= spec.budget_usd:
            raise BudgetExceeded
        check_cancelled()
        before = self.meter.snapshot()
        agent = self.agent_of(sid)
        result = agent.run()
        record = _record(result, self.samples[sid], spec.task, spec.model.name, spec.prices)
        if spec.memory is not None:
            record["memory_digest"] = agent.memory_store.shown(sid).get("learnt")
        record["paid"] = self.meter.paid_since(before)
        with self.lock:
            key = (sid, result.trial)
            self.resume.tries[key] = record["attempt_no"] = self.resume.tries.get(key, 0) + 1
        self.folder.append(record)
        return record

    def finished(self, record: dict[str, Any]) -> None:
        """A record is on disk (on the scheduler's thread): count it, show it, save the counters."""
        kind, sid, status = outcome(record), record["sample_id"], self.resume.status
        with self.lock:
            self.resume.done[(sid, record["trial"])] = record
            self.meter.record(record.get("paid") or {})
            self.tally[kind] = self.tally.get(kind, 0) + 1  # any outcome (untested too)
            status[sid][0] += 1
            status[sid][1] = status[sid][1] or ends_trials(record)
            if kind == "error":
                self.failed_now.add(sid)
        if self.next_trial(sid) is None:
            with self.lock:
                self.agents.pop(sid, None)   # through (for this session): its memory is on disk
        if self.spec.verbose:
            self.bar.write(f"[trial {record['trial']}] {sid}: {kind}\n{record['trajectory']}\n")
        self.bar.set_postfix(self.tally, refresh=False)
        self.bar.update(1)
        replies, empty = self.meter.replies()
        if not self.warned_empty and replies >= EMPTY_WARN_AFTER and empty == replies:
            self.warned_empty = True
            warnings.warn(f"all {replies} replies of {self.spec.model.name} so far are empty: check the endpoint "
                          "(--endpoint completions/chat), the model and its stop sequences", EmptyReplies)
        # Counters on disk stay current (to a second), so a killed session's spend is not
        # forgotten; rewriting the manifest after every attempt would cost more than the rest.
        if time.monotonic() - self.last_saved > 1.0:
            self.last_saved = time.monotonic()
            try:
                self.writer.write({"ended_at": None, "stopped": None, "counters": self.meter.counters("running"),
                                   **self.observed()})
            except OSError:
                pass   # a full disk: the records are what counts (the counters are recounted from them)

    def observed(self) -> dict[str, Any]:
        """This session's traffic through the limiter, and each server's share (several servers)."""
        seen = {"traffic": self.spec.limiter.stats()}
        if self.pools:
            seen["servers"] = [row for pool in self.pools for row in pool.server_stats()]
        return seen

    # -- the session ------------------------------------------------------------------------------
    def run(self) -> tuple[int, BaseException | None]:
        """Schedule every attempt still to make; Ctrl-C/SIGTERM and fatal errors stop it cleanly.
        Returns (attempts abandoned in flight, the first unexpected error)."""
        self.writer.write({"ended_at": None, "stopped": None, "counters": self.meter.counters("running")})
        if self.resume.n_history:
            say(self.spec.progress, self.resume.summary(self.folder, set(self.samples)))
        status_line = StatusLine(self.spec.progress)
        clear_shutdown()
        set_status_sink(status_line.say)
        abandoned = 0
        try:
            with signals(self.stop):
                # Online: one sample at a time, in order, the memory learning from each once it is
                # through, so no record depends on the concurrency.
                for group in ([[s] for s in self.spec.samples] if self.online else [self.spec.samples]):
                    abandoned, failure = schedule(group, self.spec.n_trials, self.spec.barrier,
                                                  self.spec.workers, self.next_trial, self.attempt_one,
                                                  self.finished, self.stop, status_line)
                    if abandoned or failure is not None or self.stop.reason or not self._learn_online(group[0]):
                        break
        finally:
            set_status_sink(None)
            self.bar.close()
            if abandoned:
                self.folder.seal()     # an attempt still running cannot add a line after the summary
            clear_shutdown()
        self.folder.close()
        return abandoned, failure

    def _learn_online(self, sample: Sample) -> bool:
        """Online: the sample is scored; the memory learns from its records. False: it is not through
        (an error ends it for this session), so later samples wait for a resume."""
        if self.online is None:
            return True
        sid = sample.id
        if sid in self.failed_now or self.next_trial(sid) is not None:
            return False
        records = sorted((r for (s, _), r in {**self.resume.finals, **self.resume.done}.items() if s == sid),
                         key=lambda r: r["trial"])
        self.online.after(sample, records, task=self.spec.task, agent=self.spec.agent, llm=self.meter.model)
        return True

    def finish(self, abandoned: int, failure: BaseException | None) -> Any:
        """Write the summary, the log and the manifest; return the final records as a DataFrame
        (or raise the failure, or :class:`RunInterrupted`, once everything is written)."""
        import pandas as pd

        stop, folder, done, finals = self.stop, self.folder, self.resume.done, self.resume.finals
        unwritten = []
        try:
            _write_reports(folder, done, len(self.samples))
        except OSError as error:
            unwritten.append(f"summary/log ({error.strerror or error})")
        self.meter.close()
        order = {sid: i for i, sid in enumerate(self.samples)}
        finals = {**{k: v for k, v in finals.items() if k[0] in order}, **done}
        records = sorted(finals.values(), key=lambda r: (r["trial"], order.get(r["sample_id"], 0)))
        errors = error_summary(records)
        try:
            self.writer.write({"ended_at": now(), "stopped": stop.reason, "stop_message": stop.message,
                               "counters": self.meter.counters(stop.reason), "errors": errors, **self.observed()})
        except OSError as error:
            unwritten.append(f"manifest ({error.strerror or error})")
        frame = pd.DataFrame(records)
        frame.attrs.update(run_dir=str(folder.path), stopped=stop.reason, stop_message=stop.message,
                           errors=errors, resumed=self.resume.n_history, manifest=_read_quietly(folder),
                           abandoned=abandoned)
        if stop.reason and stop.reason != "budget":
            recorded_now = len(done) - sum(1 for key in finals if key not in done)
            say(self.spec.progress, f"stopped ({stop.reason}): {stop.message}" + (
                f"; {abandoned} attempt(s) still running were left unrecorded" if abandoned else "") +
                (f"; could not write the {', '.join(unwritten)}" if unwritten else "") +
                f". {recorded_now} attempts are recorded in {folder.path}" +
                ("." if "resume" in stop.message else "; run the same command to resume."))
        if failure is not None:       # a bug or a full disk: everything recorded, then the error itself
            try:
                failure.run_dir = str(folder.path)       # the CLI prints the resume command
            except AttributeError:
                pass
            raise failure
        if stop.signum is not None:
            raise RunInterrupted(f"interrupted by {signal.Signals(stop.signum).name}: everything finished "
                                 f"is recorded in {folder.path}; run the same command to resume",
                                 frame=frame, signum=stop.signum, run_dir=str(folder.path))
        return frame


def _innermost(model: Any) -> Any:
    """The backend under the run's wrappers (the limiter, the cache)."""
    while model.wraps:
        model = model.llm
    return model


def _evaluate(evaluator: Any, target: Any, answer: str) -> bool:
    return bool(evaluator(answer, target))


def _record(attempt: Attempt, sample: Sample, task: Any, model_name: str, prices: dict | None) -> dict[str, Any]:
    """The attempt's line in the run format (:class:`~agents.engine.schema.RunRecord`)."""
    scores = task.score(sample, attempt) if attempt.error is None else {}
    return RunRecord.from_attempt(
        attempt, scores=scores, correct=bool(scores.get(task.primary_score, False)), target=task.target_of(sample),
        cost_usd=cost_usd(model_name, attempt.input_tokens, attempt.output_tokens, prices)).to_json()


def _write_reports(folder: Any, done: dict[tuple[str, int], dict[str, Any]], n_samples: int) -> None:
    records = sorted(done.values(), key=lambda r: (r["trial"], r["sample_id"]))
    folder.write_summary(summarize(records, n_samples))
    # One trial at a time: the log of a large run is never one string (same text as format_log(all)).
    trials: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        trials.setdefault(int(record["trial"]), []).append(record)
    folder.write_log(format_log(trials[trial]) for trial in sorted(trials))


def _read_quietly(folder: Any) -> dict[str, Any] | None:
    try:
        return folder.read_manifest()
    except (OSError, ValueError):
        return None
