"""extract stage: HTML or text → Article (text without chrome, title, dates, language)."""

from marketbrief.extract.article import decode_html, extract_article
from marketbrief.extract.language import detect_language

__all__ = ["decode_html", "detect_language", "extract_article"]
