"""Docstores: the ``Search[entity]`` / ``Lookup[keyword]`` tools of ReAct (Yao et al., 2023).

A docstore has two methods, both ``str -> str`` observations (never exceptions):

- ``search(title)``: exact page → its first paragraph; otherwise ``Could not find [x]. Similar: [...]``.
  A successful search opens the page for ``lookup``.
- ``lookup(keyword)``: the next sentence of the open page containing the keyword, as
  ``(Result k / n) sentence``, then ``No more results.``; a new keyword starts again at result 1.

:class:`OfflineDocstore` serves the HotPotQA ``context`` paragraphs (no network, deterministic);
:class:`WikipediaDocstore` asks live Wikipedia with a hard timeout, and its ``check_reachable()``
refuses a run up front when Wikipedia cannot be reached.

>>> store = OfflineDocstore({"Opry Mills": ["Opry Mills is a shopping mall in Nashville.",
...                                         " It opened in 2000 on the site of a theme park."]})
>>> store.search("opry  MILLS")
'Opry Mills is a shopping mall in Nashville. It opened in 2000 on the site of a theme park.'
>>> store.lookup("mall")
'(Result 1 / 1) Opry Mills is a shopping mall in Nashville.'
>>> store.lookup("mall")
'No more results.'
>>> store.search("Opry Mils")
"Could not find [Opry Mils]. Similar: ['Opry Mills']"
"""
from __future__ import annotations

import re
import threading
from typing import Any, Callable, Iterable, Mapping

SIMILAR_LIMIT = 5
NO_PAGE = "There is no page to look up in: use Search[entity] first."
EMPTY_SEARCH = "Search needs an entity name, e.g. Search[Opry Mills]."
EMPTY_LOOKUP = "Lookup needs a keyword, e.g. Lookup[born]."


def _key(title: str) -> str:
    """Title key for exact matching: case- and whitespace-insensitive.

    >>> _key("  Opry   MILLS ")
    'opry mills'
    """
    return " ".join(str(title).split()).casefold()


def join_sentences(sentences: Iterable[str]) -> str:
    """One paragraph from sentences, as HotPotQA stores them (each carries its own leading space).

    A space is added only between a full stop and a sentence that would otherwise touch it, so
    hand-written pages without leading spaces read right too.

    >>> join_sentences(["Paris is a city.", " It is in France."])
    'Paris is a city. It is in France.'
    >>> join_sentences(["Paris is a city.", "It is in France."])
    'Paris is a city. It is in France.'
    """
    text = ""
    for sentence in sentences:
        glue = " " if text.rstrip().endswith((".", "!", "?")) and not sentence[:1].isspace() else ""
        text += glue + sentence
    return text.strip()


class _Lookup:
    """The ``lookup`` half shared by both docstores: walks the open page's matching sentences."""

    def __init__(self) -> None:
        self._sentences: list[str] | None = None  # None: no page is open
        self._keyword: str | None = None
        self._hits: list[str] = []
        self._next = 0

    def _open(self, sentences: list[str] | None) -> None:
        self._sentences = sentences
        self._keyword, self._hits, self._next = None, [], 0

    def lookup(self, keyword: str) -> str:
        """Next sentence of the open page containing ``keyword`` (case-insensitive)."""
        keyword = " ".join(str(keyword).split())
        if not keyword:
            return EMPTY_LOOKUP
        if self._sentences is None:
            return NO_PAGE
        if keyword.casefold() != self._keyword:  # a new keyword restarts at result 1
            self._keyword = keyword.casefold()
            self._hits = [s for s in self._sentences if self._keyword in s.casefold()]
            self._next = 0
        if not self._hits:
            return f"No results for [{keyword}] on this page."
        if self._next >= len(self._hits):
            return "No more results."
        self._next += 1
        return f"(Result {self._next} / {len(self._hits)}) {self._hits[self._next - 1]}"


class OfflineDocstore(_Lookup):
    """Search/Lookup over fixed pages (title -> sentences), e.g. HotPotQA's distractor paragraphs.

    >>> store = OfflineDocstore.from_records([
    ...     {"context": {"title": ["A", "B"], "sentences": [["A one."], ["B one.", " B two."]]}},
    ...     {"context": {"title": ["B"], "sentences": [["B again."]]}}])
    >>> len(store), store.search("b")
    (2, 'B one. B two.')
    """

    def __init__(self, pages: Mapping[str, list[str]]):
        super().__init__()
        if hasattr(pages, "to_dict") and hasattr(pages, "columns"):
            # A DataFrame is a mapping of *columns*: taken as pages it would search its column names.
            raise TypeError("OfflineDocstore(pages) takes {title: [sentences]}; for HotPotQA records "
                            "(e.g. the DataFrame of load_hotpotqa()) use OfflineDocstore.from_records(frame)")
        self.pages: dict[str, list[str]] = {}
        self._by_key: dict[str, str] = {}
        for title, sentences in pages.items():
            if _key(title) and _key(title) not in self._by_key:  # first copy of a title wins
                self._by_key[_key(title)] = title
                self.pages[title] = [str(s) for s in sentences]
        self.titles = sorted(self.pages)  # sorted once so similar-title ties break by title

    @classmethod
    def from_records(cls, records: Any) -> "OfflineDocstore":
        """Pages from the ``context`` of HotPotQA records (a DataFrame or an iterable of dicts)."""
        if hasattr(records, "to_dict"):  # pandas DataFrame
            records = records.to_dict("records")
        pages: dict[str, list[str]] = {}
        for record in records:
            context = record["context"]
            for title, sentences in zip(context["title"], context["sentences"]):
                pages.setdefault(title, list(sentences))
        return cls(pages)

    def __len__(self) -> int:
        return len(self.pages)

    def similar(self, title: str, limit: int = SIMILAR_LIMIT) -> list[str]:
        """Up to ``limit`` titles ranked by fuzzy match (rapidfuzz WRatio), ties by title.

        >>> OfflineDocstore({"Paris": [], "Parish": [], "London": []}).similar("paris france", 2)
        ['Paris', 'Parish']
        """
        from rapidfuzz import fuzz, process, utils

        scored = process.extract(title, self.titles, scorer=fuzz.WRatio,
                                 processor=utils.default_process, limit=None)
        return [t for t, _score, _i in sorted(scored, key=lambda m: (-m[1], m[0]))[:limit]]

    def search(self, title: str) -> str:
        """The page's paragraph on an exact (case/space-insensitive) title match, else similar titles."""
        title = " ".join(str(title).split())
        if not title:
            return EMPTY_SEARCH
        found = self._by_key.get(_key(title))
        if found is None:
            self._open(None)
            return f"Could not find [{title}]. Similar: {self.similar(title)}"
        sentences = [s.strip() for s in self.pages[found] if s.strip()]
        self._open(sentences)
        return join_sentences(self.pages[found])


def _with_timeout(call: Callable[[], Any], timeout: float) -> Any:
    """Run ``call()`` in a daemon thread; raise TimeoutError if it takes more than ``timeout`` s.

    The ``wikipedia`` package calls ``requests`` without a timeout (and DNS lookups ignore socket
    timeouts), so only a thread we can abandon bounds the wait. A daemon thread never blocks exit.

    >>> _with_timeout(lambda: 42, 1.0)
    42
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as error:  # handed to the caller's thread below
            box["error"] = error

    worker = threading.Thread(target=target, daemon=True, name="wikipedia-request")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _reason(error: BaseException) -> str:
    """A short cause for a failed request: the error's type, and its first words when useful.

    >>> _reason(TimeoutError("no answer within 3 s"))
    'TimeoutError: no answer within 3 s'
    """
    text = " ".join(str(error).split())
    for needle, short in (("Name or service not known", "unknown host: no DNS"),
                          ("Failed to resolve", "unknown host: no DNS"),
                          ("Connection refused", "connection refused")):
        if needle in text:
            return f"{type(error).__name__}: {short}"
    return f"{type(error).__name__}: {text[:100]}" if text else type(error).__name__


def split_sentences(text: str) -> list[str]:
    """Crude sentence split on ``. `` boundaries and newlines (enough for Lookup).

    >>> split_sentences("It is big. It is old.\\n\\n== History ==\\nBuilt in 1900.")
    ['It is big.', 'It is old.', '== History ==', 'Built in 1900.']
    """
    parts = re.split(r"(?<=\.)\s+|\n+", text)
    return [p.strip() for p in parts if p.strip()]


class WikipediaDocstore(_Lookup):
    """Search/Lookup over live Wikipedia (the ``wikipedia`` package), each request bounded by ``timeout``.

    Network trouble becomes an observation the agent can read, not an exception or a hang:
    ``Search[x] failed: Wikipedia could not be reached within 5 s (ConnectionError).``
    """

    def __init__(self, timeout: float = 5.0):
        super().__init__()
        self.timeout = float(timeout)

    def check_reachable(self, timeout: float = 3.0) -> None:
        """Raise ``ConnectionError`` unless Wikipedia's API answers within ``timeout`` seconds.

        The runner calls this before the first attempt: without it, a run with no network goes on
        to the end on "could not be reached" observations, and its scores mean nothing. One small
        request (the site's name), in a thread we can abandon: DNS lookups ignore socket timeouts.
        """
        import requests
        import wikipedia

        def probe() -> None:
            reply = requests.get(wikipedia.wikipedia.API_URL, timeout=timeout,
                                 params={"action": "query", "meta": "siteinfo", "format": "json"},
                                 headers={"User-Agent": wikipedia.wikipedia.USER_AGENT})
            reply.raise_for_status()
            reply.json()  # a captive portal or proxy page answers 200 with HTML

        try:
            _with_timeout(probe, timeout)
        except Exception as error:
            raise ConnectionError(
                f"Wikipedia could not be reached within {timeout:g} s ({_reason(error)}): use "
                "--docstore offline (HotPotQA's paragraphs, no network needed), or check the "
                "network and proxy settings (HTTP_PROXY/HTTPS_PROXY)") from None

    def _failed(self, title: str, error: BaseException) -> str:
        import requests
        import wikipedia

        network = (OSError, TimeoutError, requests.RequestException, wikipedia.HTTPTimeoutError)
        if isinstance(error, network):
            return (f"Search[{title}] failed: Wikipedia could not be reached within "
                    f"{self.timeout:g} s ({type(error).__name__}).")
        return f"Search[{title}] failed: {type(error).__name__}: {error}"

    def search(self, title: str) -> str:
        """First paragraph of the page's summary; similar titles on a miss or a disambiguation page."""
        import wikipedia

        title = " ".join(str(title).split())
        if not title:
            return EMPTY_SEARCH
        self._open(None)

        def fetch() -> tuple[str, str]:
            page = wikipedia.page(title, auto_suggest=False)
            return page.summary, page.content  # both are lazy requests: fetch them in the worker

        try:
            summary, content = _with_timeout(fetch, self.timeout)
        except wikipedia.DisambiguationError as error:
            return f"Could not find [{title}]. Similar: {list(error.options)[:SIMILAR_LIMIT]}"
        except wikipedia.PageError:
            try:
                similar = _with_timeout(lambda: wikipedia.search(title), self.timeout)
            except Exception as error:
                return self._failed(title, error)
            return f"Could not find [{title}]. Similar: {list(similar)[:SIMILAR_LIMIT]}"
        except Exception as error:
            return self._failed(title, error)
        self._open(split_sentences(content))
        paragraphs = [p.strip() for p in summary.split("\n") if p.strip()]
        return paragraphs[0] if paragraphs else f"[{title}] has an empty summary."


def make_docstore(kind: str = "offline", records: Any = None, **options: Any):
    """Build a docstore: ``"offline"`` over HotPotQA records, or ``"live"`` Wikipedia.

    >>> make_docstore("offline", [{"context": {"title": ["A"], "sentences": [["A is a letter."]]}}]).search("A")
    'A is a letter.'
    >>> make_docstore("web")
    Traceback (most recent call last):
    ...
    ValueError: unknown docstore kind 'web': choose 'offline' or 'live'
    """
    if kind == "offline":
        if records is None:
            raise ValueError("the offline docstore needs records, e.g. "
                             "make_docstore('offline', agents.load_hotpotqa())")
        return OfflineDocstore.from_records(records, **options)
    if kind == "live":
        return WikipediaDocstore(**options)
    raise ValueError(f"unknown docstore kind {kind!r}: choose 'offline' or 'live'")
