"""The stop-word language guess."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketbrief.extract import detect_language

# Sample sentences written for these tests.
SAMPLES = {
    "en": "The central bank said on Tuesday that it would keep rates on hold for the rest of "
    "the year, and that it was watching the labour market closely.",
    "de": "Die Zentralbank hat am Dienstag erklärt, dass sie die Zinsen für den Rest des Jahres "
    "nicht ändern wird und den Arbeitsmarkt genau beobachtet.",
    "fr": "La banque centrale a déclaré mardi qu'elle maintiendrait ses taux pour le reste de "
    "l'année et qu'elle suivait de près le marché du travail.",
    "es": "El banco central dijo el martes que mantendría los tipos durante el resto del año y "
    "que seguía de cerca el mercado laboral.",
    "it": "La banca centrale ha detto martedì che manterrà i tassi per il resto dell'anno e che "
    "segue con attenzione il mercato del lavoro.",
    "pt": "O banco central disse na terça-feira que vai manter as taxas pelo resto do ano e que "
    "acompanha de perto o mercado de trabalho.",
    "nl": "De centrale bank zei dinsdag dat zij de rente voor de rest van het jaar niet zal "
    "veranderen en dat zij de arbeidsmarkt nauwlettend volgt.",
}


@pytest.mark.parametrize(("lang", "text"), SAMPLES.items())
def test_detects_the_common_news_languages(lang: str, text: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    "text", ["", "AAPL MSFT NVDA", "12 34 56", "Ok.", "東京株式市場は続落した"]
)
def test_short_or_unknown_text_is_none(text: str) -> None:
    assert detect_language(text) is None


@given(st.text())
def test_any_text_gives_a_code_or_none(text: str) -> None:
    assert detect_language(text) in (None, *SAMPLES)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_is_split_into_the_same_words_by_the_fast_pattern(text: str) -> None:
    from marketbrief.extract.language import _ASCII_WORD, _WORD

    assert _ASCII_WORD.findall(text) == _WORD.findall(text)
