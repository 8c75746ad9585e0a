"""agents/docstore.py: offline Search/Lookup semantics, and a live docstore that fails cleanly offline."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
import wikipedia

from agents.tasks.hotpotqa.docstore import NO_PAGE, OfflineDocstore, WikipediaDocstore, make_docstore

REPO_ROOT = Path(__file__).resolve().parents[1]

PAGES = {
    "Opry Mills": ["Opry Mills is a super-regional shopping mall in Nashville, Tennessee.",
                   " It opened in 2000 on the former site of the Opryland theme park.",
                   " The mall was closed after the 2010 Nashville flood."],
    "Opryland USA": ["Opryland USA was a theme park in Nashville."],
    "Nashville": ["Nashville is the capital of Tennessee."],
}


@pytest.fixture
def store():
    return OfflineDocstore(PAGES)


@pytest.fixture(scope="module")
def sample_records(sample_path):
    return [json.loads(line) for line in sample_path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_exact_search_is_case_and_space_insensitive(store):
    expected = ("Opry Mills is a super-regional shopping mall in Nashville, Tennessee. It opened in 2000 "
                "on the former site of the Opryland theme park. The mall was closed after the 2010 Nashville flood.")
    assert store.search("Opry Mills") == expected
    assert store.search("  opry   MILLS ") == expected


def test_missed_search_lists_similar_titles_intended_first(store):
    observation = store.search("Opry Mils")
    assert observation.startswith("Could not find [Opry Mils]. Similar: ['Opry Mills'")
    assert "Nashville" in observation  # every title is a candidate when there are few pages


def test_similar_list_is_at_most_five(sample_records):
    store = OfflineDocstore.from_records(sample_records)
    similar = store.similar("VIVA Medai")
    assert similar[0] == "VIVA Media" and len(similar) == 5
    assert "Similar: ['VIVA Media'," in store.search("VIVA Medai")


def test_lookup_walks_matching_sentences_then_stops(store):
    store.search("Opry Mills")
    assert store.lookup("nashville") == "(Result 1 / 2) Opry Mills is a super-regional shopping mall in Nashville, Tennessee."
    assert store.lookup("nashville") == "(Result 2 / 2) The mall was closed after the 2010 Nashville flood."
    assert store.lookup("nashville") == "No more results."
    assert store.lookup("nashville") == "No more results."


def test_new_keyword_or_new_search_restarts_lookup(store):
    store.search("Opry Mills")
    store.lookup("Nashville")
    assert store.lookup("theme park").startswith("(Result 1 / 1) It opened in 2000")
    assert store.lookup("Nashville").startswith("(Result 1 / 2)")
    store.search("Opry Mills")
    assert store.lookup("Nashville").startswith("(Result 1 / 2)")


def test_lookup_before_search_after_a_miss_and_without_hits(store):
    assert store.lookup("mall") == NO_PAGE
    store.search("Opry Mills")
    assert store.lookup("zebra") == "No results for [zebra] on this page."
    store.search("No Such Page")
    assert store.lookup("mall") == NO_PAGE  # a failed search closes the page


def test_empty_arguments_give_observations(store):
    assert "Search[" in store.search("   ")
    assert "Lookup[" in store.lookup("")


def test_deterministic(sample_records):
    first = OfflineDocstore.from_records(sample_records)
    second = OfflineDocstore.from_records(list(reversed(sample_records)))
    for query in ["VIVA Medai", "Arthur", "The", "film director"]:
        assert first.search(query) == second.search(query) == first.search(query)


def test_dedup_by_title_and_built_from_sample(sample_records):
    import pandas as pd

    store = OfflineDocstore.from_records(pd.DataFrame(sample_records))
    titles = [t for r in sample_records for t in r["context"]["title"]]
    assert len(store) == len(set(titles))
    assert store.search("VIVA Media").startswith("VIVA Media GmbH")
    duplicate = OfflineDocstore({"A": ["first."], "a ": ["second."]})
    assert len(duplicate) == 1 and duplicate.search("A") == "first."


def test_make_docstore_choices(sample_records):
    assert isinstance(make_docstore("offline", sample_records), OfflineDocstore)
    assert isinstance(make_docstore("live", timeout=1.0), WikipediaDocstore)
    with pytest.raises(ValueError, match="needs records"):
        make_docstore("offline")
    with pytest.raises(ValueError, match="'offline' or 'live'"):
        make_docstore("wiki")


# --- live Wikipedia, without a network -----------------------------------------------------------

def _refuse(*args, **kwargs):
    raise requests.exceptions.ConnectionError("network is down (test)")


def test_live_connection_error_is_an_observation(monkeypatch):
    monkeypatch.setattr(wikipedia, "page", _refuse)
    store = WikipediaDocstore(timeout=5)
    assert store.search("Opry Mills") == (
        "Search[Opry Mills] failed: Wikipedia could not be reached within 5 s (ConnectionError).")
    assert store.lookup("mall") == NO_PAGE


def test_live_hang_times_out(monkeypatch):
    monkeypatch.setattr(wikipedia, "page", lambda *a, **k: time.sleep(30))
    started = time.monotonic()
    observation = WikipediaDocstore(timeout=0.5).search("Opry Mills")
    assert time.monotonic() - started < 2
    assert observation == "Search[Opry Mills] failed: Wikipedia could not be reached within 0.5 s (TimeoutError)."


def test_live_real_package_fails_fast_when_unreachable(monkeypatch):
    # Point the package at a closed loopback port, so this is offline wherever it runs.
    monkeypatch.setattr(wikipedia.wikipedia, "API_URL", "http://127.0.0.1:9/w/api.php")
    started = time.monotonic()
    observation = WikipediaDocstore(timeout=5).search("Opry Mills")
    assert time.monotonic() - started < 10
    assert observation.startswith("Search[Opry Mills] failed: Wikipedia could not be reached within 5 s (")


def test_live_real_network_returns_page_or_failure():
    # Really asks Wikipedia: where the network is down this must be a failure observation, fast.
    started = time.monotonic()
    observation = WikipediaDocstore(timeout=5).search("Opry Mills")
    assert time.monotonic() - started < 10
    assert observation.startswith("Search[Opry Mills] failed:") or "mall" in observation


def test_live_disambiguation_lists_options(monkeypatch):
    def ambiguous(title, **kwargs):
        raise wikipedia.DisambiguationError(title, ["Mercury (planet)", "Mercury (element)", "Freddie Mercury"])

    monkeypatch.setattr(wikipedia, "page", ambiguous)
    assert WikipediaDocstore().search("Mercury") == (
        "Could not find [Mercury]. Similar: ['Mercury (planet)', 'Mercury (element)', 'Freddie Mercury']")


def test_live_missing_page_lists_search_results(monkeypatch):
    def missing(title, **kwargs):
        raise wikipedia.PageError(title)

    monkeypatch.setattr(wikipedia, "page", missing)
    monkeypatch.setattr(wikipedia, "search", lambda query: ["Opry Mills", "Opryland", "Grand Ole Opry"])
    assert WikipediaDocstore().search("Opry Mils") == (
        "Could not find [Opry Mils]. Similar: ['Opry Mills', 'Opryland', 'Grand Ole Opry']")


def test_live_found_page_then_lookup(monkeypatch):
    class Page:
        summary = "Opry Mills is a mall in Nashville.\nIt opened in 2000."
        content = "Opry Mills is a mall in Nashville. It opened in 2000.\n\n== History ==\nThe mall flooded in 2010."

    monkeypatch.setattr(wikipedia, "page", lambda title, **kwargs: Page())
    store = WikipediaDocstore()
    assert store.search("Opry Mills") == "Opry Mills is a mall in Nashville."
    assert store.lookup("mall") == "(Result 1 / 2) Opry Mills is a mall in Nashville."
    assert store.lookup("mall") == "(Result 2 / 2) The mall flooded in 2010."
    assert store.lookup("mall") == "No more results."


# --- the probe the runner makes before a live run ------------------------------------------------

def test_probe_without_network_fails_fast_with_what_to_do():
    # No network here (or where it runs offline): a clear error within a few seconds, not a run
    # on "could not be reached" observations. Where a network exists this just passes.
    started = time.monotonic()
    try:
        WikipediaDocstore().check_reachable()
    except ConnectionError as error:
        message = str(error)
        assert message.startswith("Wikipedia could not be reached within 3 s (")
        assert "use --docstore offline (HotPotQA's paragraphs" in message
    assert time.monotonic() - started < 6


def test_probe_of_a_closed_port_fails_fast(monkeypatch):
    monkeypatch.setattr(wikipedia.wikipedia, "API_URL", "http://127.0.0.1:9/w/api.php")
    started = time.monotonic()
    with pytest.raises(ConnectionError, match=r"within 2 s \(ConnectionError: connection refused\): "
                                              r"use --docstore offline"):
        WikipediaDocstore().check_reachable(timeout=2)
    assert time.monotonic() - started < 3


def test_probe_of_a_hanging_network_is_bounded(monkeypatch):
    monkeypatch.setattr(requests, "get", lambda *a, **k: time.sleep(30))   # like a DNS lookup that hangs
    started = time.monotonic()
    with pytest.raises(ConnectionError, match=r"within 0\.5 s \(TimeoutError"):
        WikipediaDocstore().check_reachable(timeout=0.5)
    assert time.monotonic() - started < 2


def test_probe_passes_when_wikipedia_answers(monkeypatch):
    class Reply:
        def raise_for_status(self):
            pass

        def json(self):
            return {"query": {"general": {"sitename": "Wikipedia"}}}

    seen = {}

    def get(url, **kwargs):
        seen.update(url=url, **kwargs)
        return Reply()

    monkeypatch.setattr(requests, "get", get)
    assert WikipediaDocstore().check_reachable(timeout=1) is None
    assert seen["url"] == wikipedia.wikipedia.API_URL and seen["timeout"] == 1
    assert seen["headers"]["User-Agent"]


def test_probe_refuses_a_page_that_is_not_the_api(monkeypatch):
    class Portal:            # a captive portal or proxy answers 200 with HTML
        def raise_for_status(self):
            pass

        def json(self):
            raise ValueError("Expecting value: line 1 column 1 (char 0)")

    monkeypatch.setattr(requests, "get", lambda *a, **k: Portal())
    with pytest.raises(ConnectionError, match=r"\(ValueError: Expecting value"):
        WikipediaDocstore().check_reachable(timeout=1)
