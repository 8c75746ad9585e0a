"""``python -m agents serve``: the embedded model, or any GGUF, behind an OpenAI-compatible server.

llama-cpp-python ships that server (``python -m llama_cpp.server``), but run by hand it needs the
embedded model's path (assembled under the user's cache, found only by reading the code) and its
default context of 2,048 tokens is too small: ReAct's prompts reach ~3-4k tokens (six few-shots
and a growing scratchpad) and would fail. This command fills both in, serves on loopback only
unless told otherwise, and prints what to run against it::

    $ python -m agents serve --port 8080
    loading gemma-3-270m-q4_k_m.gguf (n_ctx 8192) ...
    serving gemma-3-270m at http://127.0.0.1:8080/v1 (OpenAI-compatible; Ctrl-C stops it)
    run the kit against it with:
      python -m agents run --agent react --questions 5 --trials 2 --llm openai-compatible:gemma-3-270m --base-url http://127.0.0.1:8080/v1

The kit's ``openai-compatible`` backend posts to ``/completions`` by default, which is what a base
model such as Gemma 3 270M needs (see :mod:`agents.llm.openai`).

>>> import argparse
>>> commands = argparse.ArgumentParser(prog="python -m agents").add_subparsers()
>>> args = add_parser(commands).parse_args(["--port", "9000"])
>>> args.host, args.port, args.n_ctx, args.model_alias
('127.0.0.1', 9000, 8192, None)
>>> run_command("gemma-3-270m", base_url("127.0.0.1", 9000))
'python -m agents run --agent react --questions 5 --trials 2 --llm openai-compatible:gemma-3-270m --base-url http://127.0.0.1:9000/v1'
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import Any

from .cli_types import bounded_int, positive_int

DEFAULT_N_CTX = 8192       # ReAct's prompts reach ~4k tokens; room for the reply and a long scratchpad
REACT_PROMPT_TOKENS = 4096  # below this, the kit's longest prompts do not fit
EMBEDDED_ALIAS = "gemma-3-270m"
SERVER_EXTRA = "pip install 'llama-cpp-python[server]' (requirements.txt has it)"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only.

    >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "192.168.1.5")]
    [True, True, True, False, False]
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def base_url(host: str, port: int) -> str:
    """The URL a client on this machine uses (a wildcard address is reached through loopback).

    >>> base_url("0.0.0.0", 8080), base_url("::1", 8080)
    ('http://127.0.0.1:8080/v1', 'http://[::1]:8080/v1')
    """
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/v1"


def run_command(alias: str, url: str) -> str:
    """The exact ``run`` command that uses the served model (what ``serve`` prints)."""
    return f"python -m agents run --agent react --questions 5 --trials 2 --llm openai-compatible:{alias} --base-url {url}"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``serve`` to the CLI's subcommands (``commands``); its handler is :func:`serve`."""
    serve_parser = commands.add_parser(
        "serve", help="serve the embedded model (or a GGUF) as an OpenAI-compatible server",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve the embedded Gemma 3 270M, or any GGUF file, with llama.cpp's\n"
                    "OpenAI-compatible server (llama-cpp-python[server]) on loopback, with a context\n"
                    "large enough for ReAct. Prints the base URL and the `run` command to use; runs\n"
                    "until Ctrl-C.",
        epilog="example:\n  python -m agents serve --port 8080\n"
               "  python -m agents run --agent react --questions 5 --trials 2 --llm openai-compatible:gemma-3-270m "
               "--base-url http://127.0.0.1:8080/v1")
    serve_parser.add_argument("--port", type=bounded_int(0, 65535, "a port number"), default=8080,
                              help="the port (default: %(default)s; 0 picks a free one)")
    serve_parser.add_argument("--host", default="127.0.0.1",
                              help="the address to listen on (default: %(default)s, this machine only)")
    serve_parser.add_argument("--allow-remote", action="store_true",
                              help="allow a --host other machines can reach (the server asks for no key)")
    serve_parser.add_argument("--n-ctx", type=bounded_int(512, None, "a number of tokens", f" (the kit's prompts need ~{REACT_PROMPT_TOKENS} tokens)"), default=DEFAULT_N_CTX, metavar="TOKENS",
                              help="the context window (default: %(default)s; the kit's ReAct prompts "
                                   "reach ~4k tokens, llama.cpp's own default of 2048 is too small)")
    serve_parser.add_argument("--model", metavar="PATH.gguf",
                              help="a GGUF model file (default: the embedded Gemma 3 270M)")
    serve_parser.add_argument("--model-alias", metavar="NAME",
                              help=f"the name clients ask for (default: {EMBEDDED_ALIAS} for the "
                                   "embedded model, else the file's name without .gguf)")
    serve_parser.add_argument("--threads", type=positive_int, metavar="N",
                              help="CPU threads (default: llama.cpp's, half the cores to decode)")
    serve_parser.add_argument("--verbose", action="store_true",
                              help="show llama.cpp's loading log and every request")
    serve_parser.set_defaults(handler=serve)
    return serve_parser








def _model(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[Path, str]:
    """The GGUF file to serve and the name clients use for it."""
    if args.model:
        path = Path(args.model).expanduser()
        if not path.is_file():
            parser.error(f"--model: no such file: {path} (give a .gguf file, or leave --model out "
                         "for the embedded Gemma 3 270M)")
        return path.resolve(), args.model_alias or path.name.removesuffix(".gguf")
    from .llm.local import default_model_path

    return default_model_path(), args.model_alias or EMBEDDED_ALIAS


def _listen(host: str, port: int) -> socket.socket:
    """Bind before the (slower) model load: a busy port fails at once, and port 0 gets its number."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)


def serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Load the model, serve it until Ctrl-C (or SIGTERM), return the exit status."""
    if not is_loopback(args.host) and not args.allow_remote:
        parser.error(f"--host {args.host} can be reached from other machines, and the server asks "
                     "for no API key: anyone who reaches it can use it. Pass --allow-remote to serve "
                     "there anyway, or leave --host out (127.0.0.1)")
    try:  # the server extra: fastapi, uvicorn, sse-starlette, pydantic-settings
        import uvicorn
        from llama_cpp.server.app import create_app
        from llama_cpp.server.settings import ModelSettings, ServerSettings
    except ImportError as error:
        print(f"error: `serve` needs llama-cpp-python's server ({error}): {SERVER_EXTRA}", file=sys.stderr)
        return 1
    from .llm.local import quiet_loading

    path, alias = _model(args, parser)
    try:
        listener = _listen(args.host, args.port)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        print(f"error: cannot listen on {args.host}:{args.port} ({reason}): "
              "pass another --port (0 picks a free one)", file=sys.stderr)
        return 1
    port = listener.getsockname()[1]
    threads = {"n_threads": args.threads, "n_threads_batch": args.threads} if args.threads else {}
    # logits_all=False: the server's default keeps n_ctx x vocabulary logits (8 GB at 8192 tokens
    # for Gemma's 262k vocabulary) that only logprobs need, and the kit asks for none.
    model = ModelSettings(model=str(path), model_alias=alias, n_ctx=args.n_ctx, logits_all=False,
                          verbose=args.verbose, **threads)
    print(f"loading {path.name} (n_ctx {args.n_ctx}) ...", flush=True)
    if args.n_ctx < REACT_PROMPT_TOKENS:
        print(f"note: --n-ctx {args.n_ctx} is below the ~{REACT_PROMPT_TOKENS} tokens the kit's ReAct "
              "prompts reach: those calls will be refused", flush=True)
    try:
        with quiet_loading(enabled=not args.verbose):
            app = create_app(server_settings=ServerSettings(host=args.host, port=port),
                             model_settings=[model])
    except (ValueError, OSError) as error:  # not a GGUF, a model llama.cpp cannot read, no memory
        listener.close()
        print(f"error: cannot load {path}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while loading: not the CLI's "attempts are recorded" message
        listener.close()
        print("stopped", flush=True)
        return 130
    url = base_url(args.host, port)
    print(f"serving {alias} at {url} (OpenAI-compatible; Ctrl-C stops it)\n"
          f"run the kit against it with:\n  {run_command(alias, url)}", flush=True)
    config = uvicorn.Config(app, log_level="info" if args.verbose else "warning")
    try:
        uvicorn.Server(config).run(sockets=[listener])
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then re-raises the Ctrl-C it caught
        pass
    finally:
        listener.close()
    print("stopped", flush=True)
    return 0
