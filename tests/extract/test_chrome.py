"""The chrome filter: general shapes of site chrome go, the article's own lines stay."""

from __future__ import annotations

import pytest

from marketbrief.extract.chrome import (
    Block,
    BlockKind,
    explain_chrome,
    find_chrome,
    is_call_to_action,
)

P, H, LI = BlockKind.PARAGRAPH, BlockKind.HEADING, BlockKind.ITEM

# Sample prose written for these tests, not real news.
PROSE = (
    "Crude oil prices fell for a third day on Wednesday as inventories grew more than analysts "
    "had expected and refiners cut their runs ahead of the holiday weekend, leaving the "
    "benchmark at its lowest level since early spring, traders in New York and London said."
)
PROSE_2 = (
    "The Energy Information Administration said stockpiles rose by 4.1 million barrels last "
    "week, against forecasts of a small draw, while gasoline demand slipped for a second week "
    "as prices at the pump stayed above four dollars a gallon in several western states."
)


@pytest.mark.parametrize(
    "text",
    [
        "Sign up for our daily newsletter",
        "Get the latest market news delivered to your inbox every morning.",
        "Stay ahead of the market.",
        "Follow us on X and LinkedIn",
        "Subscribe",
        "Advertisement",
        "READ MORE: Refiners brace for a busy driving season",
        "Related: Oil majors lift dividends",
        "No comments yet",
        "Comments (12)",
        "Join the conversation — log in to leave a comment.",
        "Share this article",
        "Click here to download the app",
        "Got a tip? Email newsdesk@example.com",
        "Copyright © 2025 Example Wire. All rights reserved.",
        "We may earn a commission when you buy through links on our site.",
        "Story continues below advertisement",
        "Lesen Sie auch: Ölpreis fällt weiter",
    ],
)
def test_calls_to_action_are_chrome(text: str) -> None:
    assert is_call_to_action(text)


@pytest.mark.parametrize(
    "text",
    [
        PROSE,
        "The company declined to comment.",
        "Our requests for comment went unanswered.",
        "Netflix added 5 million subscribers in the quarter, the company said.",
        '"We want customers to sign up for the new plan," the chief executive said.',
        "The European Commission said it would review the deal.",
        "More than 100 flights were cancelled at the airport.",
        "Latest figures show inflation easing to 2.4 percent.",
        "Shares of the app maker rose 3 percent in early trading.",
        "",
    ],
)
def test_the_article_own_sentences_are_not(text: str) -> None:
    assert not is_call_to_action(text)


def test_weak_terms_count_only_outside_the_body_or_with_an_imperative() -> None:
    line = "Users can change cookie settings in the app's privacy policy page, you said."
    assert not is_call_to_action(line)
    line = "Read our privacy policy and manage your cookie settings."
    assert is_call_to_action(line, in_body=True)  # an imperative: chrome anywhere
    line = "Our privacy policy explains how your data is used."
    assert is_call_to_action(line)
    assert not is_call_to_action(line, in_body=True)


def blocks(*items: tuple[BlockKind, str] | tuple[BlockKind, str, bool]) -> list[Block]:
    return [
        Block(kind, text, linked=bool(rest[0]) if rest else False) for kind, text, *rest in items
    ]


def test_seed_like_page_keeps_only_the_article() -> None:
    page = blocks(
        (H, "Oil Slides as Stockpiles Swell"),
        (P, PROSE),
        (P, PROSE_2),
        (H, "Stay ahead with the latest energy market news."),
        (P, "Get curated market news delivered to your inbox."),
        (H, "Latest Articles"),
        (LI, "Chipmakers extend rally as AI orders pile up", True),
        (LI, "Gold steadies as the dollar eases from highs", True),
        (H, "Comments"),
        (P, "No comments yet"),
    )
    assert find_chrome(page, title="Oil Slides as Stockpiles Swell") == {0, 3, 4, 5, 6, 7, 8, 9}


def test_a_chrome_heading_after_the_article_takes_the_teasers_under_it() -> None:
    page = blocks(
        (P, PROSE),
        (P, PROSE_2),
        (H, "More from Markets"),
        (H, "Copper hits a two-year high"),
        (P, "Supply worries in Chile lift prices for a fourth session."),
        (H, "Bond yields edge lower"),
        (P, "Treasuries gain as traders weigh the path of rate cuts."),
    )
    assert explain_chrome(page) == dict.fromkeys(range(2, 7), "chrome section")


def test_a_chrome_heading_inside_the_article_takes_only_links_and_items() -> None:
    page = blocks(
        (P, PROSE),
        (H, "Related stories"),
        (LI, "Refiners brace for a busy driving season", True),
        (LI, "Gasoline futures climb on pipeline outage", True),
        (P, "Analysts expect the draw to resume next week."),
        (P, PROSE_2),
    )
    assert find_chrome(page) == {1, 2, 3}


def test_subheadings_of_the_article_stay() -> None:
    page = blocks(
        (P, PROSE),
        (H, "More than 100 tankers idle"),
        (P, "Shipping data showed the fleet waiting off the coast for buyers."),
        (H, "What comes next"),
        (P, PROSE_2),
        (H, "Discussion"),
        (P, PROSE),
    )
    assert find_chrome(page) == set()


def test_a_lone_link_paragraph_is_a_related_headline() -> None:
    page = blocks(
        (P, PROSE),
        (P, "Refiners brace for a busy driving season", True),
        (P, PROSE_2),
        (P, "OPEC", True),  # too short to read as a headline
        (P, PROSE),
    )
    assert explain_chrome(page) == {1: "headline"}


def test_furniture_at_the_edges_and_credits_anywhere() -> None:
    page = blocks(
        (P, "Updated June 24, 2025, 11:29 a.m. ET"),
        (P, "By Jane Roe"),
        (P, PROSE),
        (P, "Photo: Jane Roe / Example Agency"),
        (P, PROSE_2),
        (P, "Share Facebook Twitter Email"),
        (P, "Jane Roe is a markets reporter for Example Wire covering commodities."),
    )
    assert explain_chrome(page) == {
        0: "furniture",
        1: "furniture",
        3: "credit",
        5: "furniture",
        6: "author bio",
    }


def test_the_title_is_dropped_only_at_the_top() -> None:
    page = blocks((H, "Oil slides"), (P, PROSE), (P, "Oil slides"))
    assert find_chrome(page, title="Oil Slides!") == {0}
    assert find_chrome(page) == set()


def test_gallery_counters_need_a_gallery() -> None:
    page = blocks((P, PROSE), (LI, "1/3 Tankers wait offshore"), (LI, "2/3 A refinery at dusk"))
    assert find_chrome(page) == {1, 2}
    assert find_chrome(blocks((P, PROSE), (P, "9/11 changed air travel for good."))) == set()


def test_no_blocks() -> None:
    assert find_chrome([]) == set()
