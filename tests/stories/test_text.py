"""What story grouping reads of an article: terms, sentences, numbers, names."""

from hypothesis import given
from hypothesis import strategies as st

from marketbrief.stories.text import (
    LEAD_WORDS,
    NUMBER_WEIGHT,
    TITLE_WEIGHT,
    article_facts,
    article_terms,
    content_tokens,
    split_sentences,
    stem,
)


def test_stems_take_off_plural_and_possessive_endings_only() -> None:
    words = ("companies", "jobs", "business", "status", "apple's", "gas", "news", "ties")
    assert [stem(w) for w in words] == [
        "company",
        "job",
        "business",
        "status",
        "apple",
        "gas",
        "news",
        "tie",
    ]


def test_content_tokens_drop_function_words_and_keep_numbers() -> None:
    tokens = content_tokens("The company said it would cut 1,200 jobs, or 5% of staff.")
    assert [t.term for t in tokens] == ["company", "cut", "1200", "job", "5%", "staff"]
    assert [t.is_number for t in tokens] == [False, False, True, False, True, False]


def test_names_are_capitalised_words_inside_a_sentence() -> None:
    tokens = content_tokens("Shares of Harbor Sensors rose. Analysts at Fitch agreed.")
    names = {t.term for t in tokens if t.is_name}
    assert names == {"harbor", "sensor", "fitch"}  # "Shares", "Analysts" start sentences


def test_terms_count_the_title_twice_numbers_more_and_only_the_lead() -> None:
    body = " ".join(["filler"] * LEAD_WORDS) + " tailword"
    terms = article_terms("Harbor deal", "Harbor paid 12 dollars. " + body)
    assert terms["harbor"] == TITLE_WEIGHT + 1.0
    assert terms["12"] == NUMBER_WEIGHT
    assert "tailword" not in terms  # past the lead


def test_sentences_and_their_spans() -> None:
    text = "Oil fell 3% on Monday. Traders said so.\nA new line here!  Next one"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "Oil fell 3% on Monday.",
        "Traders said so.",
        "A new line here!",
        "Next one",
    ]


def test_facts_hold_numbers_names_and_sentence_word_pairs() -> None:
    facts = article_facts(
        "Northwind buys Harbor Sensors",
        "The deal values Harbor Sensors at 2.1 billion dollars in cash.",
        keys=("NWR",),
    )
    assert facts.numbers == {"2.1": "2.1"}
    assert {"harbor sensor", "$nwr"} <= set(facts.names)
    assert facts.names["harbor sensor"] == "Harbor Sensors"
    ((span, pairs),) = facts.sentences
    assert span == (0, 62)
    assert "harbor sensor" in pairs


@given(st.text(max_size=400))
def test_spans_are_in_bounds_and_trimmed(text: str) -> None:
    last = 0
    for start, end in split_sentences(text):
        assert last <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        last = end


@given(st.text(max_size=300), st.text(max_size=100))
def test_terms_and_facts_never_crash_and_weigh_positive(text: str, title: str) -> None:
    assert all(w > 0 for w in article_terms(title, text).values())
    facts = article_facts(title, text)
    for (start, end), _ in facts.sentences:
        assert 0 <= start < end <= len(text)
