"""Stand-ins for tests and benchmarks: scripted models that play the agents' formats, and a real
OpenAI-compatible HTTP server on loopback with latency and fault injection. Shared by ``tests/``
and ``bench/``; nothing in a run uses them unless asked."""
