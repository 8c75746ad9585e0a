"""Text similarity without a model or a new dependency: word tokens, Jaccard, TF-IDF cosine, and
trimming text to a token budget. The transfer methods use it to retrieve the training trajectory
closest to a test sample (ExpeL) and to merge near-identical lessons (ExpeL, ACE).

Retrieval ranks documents by the TF-IDF cosine of their words with the query's (smoothed idf, so a
word every document has still counts a little); ties go to the earlier document, so a ranking never
depends on anything but the texts and their order.

>>> docs = ["Who directed the film Jaws?", "In which city was Mozart born?", "Who wrote the novel Dune?"]
>>> most_similar("Which city was Beethoven born in?", docs, k=2)
[1, 0]
>>> round(jaccard("Search the film first.", "First, search the film!"), 2)
1.0
>>> near_duplicate("Check the year before answering.", "Check the year before you answer.")
True
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Callable, Sequence

# Words that say nothing about what a task is about: left out of similarity (not out of the text).
STOPWORDS = frozenset("""a an the of in on at to for from by with and or but is are was were be been being
it its this that these those which who whom whose what when where why how do does did has have had as
into than then there their they he she his her him i you we our your not no yes if so""".split())

_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    """A crude suffix cut so that "answering", "answered" and "answers" meet at "answer"."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """The lower-cased, crudely stemmed words of ``text`` without stopwords (numbers kept: they
    name things).

    >>> words("Who wrote 'Dune' in 1965? Checking the answers.")
    ['wrote', 'dune', '1965', 'check', 'answer']
    """
    return [_stem(w) for w in _WORD.findall(str(text).lower()) if w not in STOPWORDS]


def jaccard(a: str, b: str) -> float:
    """The Jaccard index of the two texts' word sets (1.0 for two texts without words).

    >>> jaccard("red apple", "green apple")
    0.3333333333333333
    """
    x, y = set(words(a)), set(words(b))
    if not x and not y:
        return 1.0
    return len(x & y) / len(x | y)


def near_duplicate(a: str, b: str, threshold: float = 0.7) -> bool:
    """Whether two short texts say the same thing in nearly the same words (Jaccard >= threshold)."""
    return jaccard(a, b) >= threshold


def _tfidf(tokens: Sequence[str], idf: dict[str, float]) -> dict[str, float]:
    counts = Counter(tokens)
    vector = {w: (1 + math.log(c)) * idf.get(w, 0.0) for w, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {w: v / norm for w, v in vector.items()} if norm else {}


def similarities(query: str, documents: Sequence[str]) -> list[float]:
    """The TF-IDF cosine of ``query`` with each document (idf over the documents and the query).

    >>> [round(s, 2) for s in similarities("apple pie", ["apple tart", "cherry pie", "car engine"])]
    [0.44, 0.44, 0.0]
    """
    tokenized = [words(d) for d in documents]
    asked = words(query)
    n = len(tokenized) + 1
    df = Counter(w for tokens in tokenized + [asked] for w in set(tokens))
    idf = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
    q = _tfidf(asked, idf)
    out = []
    for tokens in tokenized:
        d = _tfidf(tokens, idf)
        out.append(sum(v * d.get(w, 0.0) for w, v in q.items()))
    return out


def most_similar(query: str, documents: Sequence[str], k: int) -> list[int]:
    """The indices of the ``k`` documents most similar to ``query``, best first (ties: earlier first).
    Documents sharing no word with the query still fill the ``k`` places (a few-shot is a few-shot)."""
    scores = similarities(query, documents)
    return sorted(range(len(documents)), key=lambda i: (-scores[i], i))[:max(0, k)]


def trim_to_tokens(text: str, budget: int, count_tokens: Callable[[str], int], marker: str = " [...]") -> str:
    """``text`` cut (at a word boundary where possible) so that it, with ``marker``, counts at most
    ``budget`` tokens; the whole text when it fits; "" when not even the marker fits.

    >>> trim_to_tokens("one two three four five", 3, lambda s: len(s.split()))
    'one two [...]'
    >>> trim_to_tokens("short", 3, lambda s: len(s.split()))
    'short'
    """
    if count_tokens(text) <= budget:
        return text
    if count_tokens(marker.strip()) > budget:
        return ""
    low, high = 0, len(text)  # the longest prefix that fits, by bisection (a few tokenizer calls)
    while low < high:
        mid = (low + high + 1) // 2
        if count_tokens(text[:mid].rstrip() + marker) <= budget:
            low = mid
        else:
            high = mid - 1
    cut = text[:low]
    if " " in cut and low < len(text) and not text[low].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return (cut.rstrip() + marker).strip() if cut.strip() else marker.strip()
