"""Exact and near duplicates: canonical URLs, content hashes, a MinHash index that forgets."""

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketbrief.stories import canonical_url, content_hash, shingle_words
from marketbrief.stories.dedup import NearDuplicateIndex, minhash_of

# Sample text written for these tests, not real news.
WIRE = (
    "Quillon Semiconductor will build a second chip plant in Ohio for 9 billion dollars, the "
    "company said on Thursday, creating about 1,500 jobs by 2028. Construction starts in the "
    "spring, and the plant will make controllers for cars and factory robots."
)
EDITED = WIRE.replace("about 1,500", "some 1,500").replace("on Thursday", "late on Thursday")
OTHER = (
    "Wheat futures climbed to a two-month high as dry weather threatened the harvest on the "
    "plains, while corn and soybeans traded flat in a quiet session."
)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://www.Example.com/a/b/", "example.com/a/b"),
        ("http://example.com:80/a/b?utm_source=x&utm_medium=rss#top", "example.com/a/b"),
        ("https://example.com:8443/a?id=2&fbclid=zz", "example.com:8443/a?id=2"),
        ("https://example.com/a?b=2&a=1", "example.com/a?a=1&b=2"),
        ("https://example.com/", "example.com"),
    ],
)
def test_canonical_urls_drop_what_does_not_change_the_page(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_canonical_url_of_a_non_web_url_is_itself() -> None:
    assert canonical_url("file:///tmp/a.html") == "file:///tmp/a.html"
    # a JSONL record without a URL of its own is known by the file and its id
    assert canonical_url("file:///tmp/batch.jsonl#r1") != canonical_url(
        "file:///tmp/batch.jsonl#r2"
    )
    assert canonical_url("https://www.example.com/x") == canonical_url("http://example.com/x/")


def test_content_hash_folds_case_and_space_only() -> None:
    assert content_hash("t", "Oil  fell.\nAgain") == content_hash("other title", "oil fell. again")
    assert content_hash("t", "Oil fell.") != content_hash("t", "Oil rose.")
    assert content_hash("Only a title", "  ") == content_hash("only a title", "")


# whitespace of every kind Python knows (str.isspace), beside letters of several cases
_SPACES = [chr(c) for c in range(0x3001) if chr(c).isspace()]


@given(st.lists(st.sampled_from([*_SPACES, "a", "B", "ß", "Σ", "1", "."]), max_size=40))
def test_content_hash_is_the_hash_of_the_text_with_runs_of_space_as_one(chars: list[str]) -> None:
    # The stored hashes were made with re.sub(r"\s+", " ", text).strip(); they must not move.
    text = "x" + "".join(chars)
    folded = re.sub(r"\s+", " ", text).strip().casefold()
    digest = hashlib.blake2b(folded.encode("utf-8"), digest_size=16).hexdigest()
    assert content_hash("title", text) == digest


def test_near_duplicates_are_found_and_forgotten() -> None:
    index = NearDuplicateIndex()
    wire, edited, other = minhash_of("", WIRE), minhash_of("", EDITED), minhash_of("", OTHER)
    assert wire is not None and edited is not None and other is not None
    handle = index.add(wire, "story-a")
    index.add(other, "story-b")
    found = index.best(edited)
    assert found is not None and found[0] == "story-a" and found[1] >= 0.5
    index.reassign(handle, "story-c")
    assert index.best(edited) == ("story-c", found[1])
    index.remove(handle)
    assert index.best(edited) is None
    assert len(index) == 1
    index.remove(handle)  # twice is harmless


def test_a_text_without_words_has_no_minhash() -> None:
    assert minhash_of("", " ,. ") is None


@given(st.text(max_size=300))
def test_shingles_never_crash_and_are_lower_case(text: str) -> None:
    for shingle in shingle_words(text):
        assert shingle == shingle.lower()


@given(st.text(max_size=200))
def test_canonical_url_never_crashes(url: str) -> None:
    canonical = canonical_url(url)
    assert isinstance(canonical, str)
    web = canonical_url("https://" + url.lstrip("/"))
    assert isinstance(web, str)


def test_a_bad_port_is_compared_as_given() -> None:
    assert canonical_url(" https://example.com:99999/a ") == "https://example.com:99999/a"
