"""Find the site's chrome that survives main-content extraction.

trafilatura keeps the article's neighbourhood when it looks like prose: newsletter boxes ("Get
the latest news in your inbox"), calls to action ("Sign up", "Follow us on …", "Read more"),
headline lists under "Latest articles" or "Related", comment-box stubs ("No comments yet"),
share bars, ad labels and browser notices. This module marks those blocks so the extractor can
drop them. It works on general shapes of chrome, never on a particular site:

- a *call to action*: a short block that speaks to the reader (you, your, our, us, or an
  imperative) and names a chrome action (subscribe, newsletter, inbox, follow, share,
  comment, app, …), a bare interface label ("Advertisement", "Read more"), a pointer to
  elsewhere ("READ MORE: …"), or a site notice (affiliate disclosure, browser warning);
- a *chrome section*: a heading that is wholly "Related stories", "Latest articles", "More
  from …", "Most read", "Comments" and the like, with the links, list items and headings under
  it; after the article's last paragraph, every short block under it;
- *headlines*: a block that is wholly the text of a link to another page, a related story
  dropped into the article or a list of them;
- *page furniture*: the headline repeated as the first line, photo credits anywhere, and near
  the edges of the article datelines, lone "By …" bylines, share bars, linked tag labels and
  an author's bio.

The article's longest paragraph is never chrome. The rules read each block a bounded number of
times, so the filter costs O(total text).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Block", "BlockKind", "explain_chrome", "find_chrome", "is_call_to_action"]


class BlockKind(enum.StrEnum):
    """What kind of block of the extracted article a piece of text is."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    ITEM = "item"  # one item of a list
    QUOTE = "quote"
    TABLE = "table"
    CODE = "code"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Block:
    """One block of extracted text, in reading order."""

    kind: BlockKind
    text: str  # whitespace-normalised
    linked: bool = False  # the whole text is the text of a link to another page
    words: int = field(init=False, repr=False, compare=False)  # counted once, read by every rule

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", len(self.text.split()))


# ── vocabulary ────────────────────────────────────────────────────────────────────────────────
#
# Each term is written in the form chrome uses, so that news prose ("declined to comment", "the
# European Commission", "subscribers rose 5%") does not match. English first; the commonest
# labels of German, French, Spanish, Italian and Polish sites too.

_I = re.IGNORECASE
# The patterns below without _I are matched against lower-cased text: several times faster than
# IGNORECASE over long alternations.

# Chrome wherever it is said to the reader.
_STRONG_TERMS = re.compile(
    r"\b(?:newsletters?|subscribe|subscriptions? (?:required|needed|to|plans?|options)|"
    r"subscribers? (?:only|exclusive)|(?:already|become) a (?:member|subscriber|supporter)|"
    r"unsubscribe|sign(?:ing)? up (?:for|to|now|here|today)|inbox|"
    r"e-?mail (?:address|alerts?|updates)|follow (?:us|@)|follow \w+ (?:\w+ )?on "
    r"(?:twitter|x|facebook|instagram|linkedin|tiktok|threads|bluesky|google news|youtube)|"
    r"google news|preferred source|comments? (?:below|section|policy|guidelines)|no comments|"
    r"\d+ comments|commenting|(?:leave|post|add|write|submit|view|show|read|see|load|hide) "
    r"(?:a |the |all |their |our |\d+ )?(?:comments?|replies)\b|"
    r"join (?:the|our) (?:conversation|discussion|community|forum)|click here|tap here|"
    r"(?:whatsapp|telegram) (?:channel|group)|all rights reserved|copyright (?:\u00a9|\(c\)|\d{4})|"
    r"\u00a9|advertisement|sponsored (?:content|post|by|links?)|affiliate (?:links?|commission)|"
    r"ad[ -]?block(?:er|ing)?|enable javascript|(?:update|upgrade) your browser|"
    r"browser (?:version|is out of date|is not supported)|trust principles|"
    r"editorial (?:standards|guidelines)|support (?:our|independent|quality) journalism|"
    r"free trial|unlimited access|breaking news alerts?|never miss|letters? to the editor|"
    r"donate\b|abonnieren|abonniere|jetzt registrieren|eingeloggt|keine kommentare|"
    r"kommentare? (?:schreiben|verfassen|hinterlassen)|abonnez|inscrivez|suscr[ií]b|"
    r"iscriviti|subskrypc)"
)
# Chrome only with an imperative, or at the edges of the article: articles also write about
# apps, browsers, privacy and sign-ups.
_WEAK_TERMS = re.compile(
    r"\b(?:sign(?:ing|ed)?[ -]?(?:up|in)\b|log(?:ging)?[ -]?in\b|"
    r"create (?:an|a free|your) account|register (?:now|here|for free|today)|"
    r"download (?:the|our)|app store|google play|share (?:this|on|via)|"
    r"read (?:more|next|also)|also read|learn more|find out more|get in touch|contact us|"
    r"send us|privacy (?:policy|notice)|terms (?:of|and) (?:use|service|conditions)|"
    r"(?:use|uses|using|accept|manage) cookies|cookie (?:policy|settings|preferences|consent)|"
    r"bookmark (?:this|us|our|the)|(?:latest|daily|weekly|breaking|top|morning|evening) "
    r"(?:\w+ )?(?:news|headlines|updates|alerts|briefing|digest|stories)|"
    r"stay (?:ahead|informed|up to date|updated|in the loop|connected|tuned))"
)
# Words that turn to the reader: chrome speaks to "you" about "our" site.
_ADDRESS = re.compile(r"\b(?:you|your|yours|you're|our|us|we|we're|we'll)\b")
# Reported speech: a quote in an article may say "sign up" or "our app"; chrome never reports.
_REPORTED = re.compile(
    r"\b(?:said|says|told|according to|added|wrote|asked|explained|announced)\b|[\"\u201c\u201d]"
)
# Imperatives that open a call to action.
_IMPERATIVE = re.compile(
    r"^[\W_]*(?:subscribe|sign|join|follow|get|download|click|tap|read|watch|listen|share|"
    r"support|become|register|log|enter|stay|don'?t|do not|never|check|find|learn|discover|"
    r"try|continue|explore|see|send|tell|email|contact|visit|bookmark|add|enable|please|"
    r"enjoy|want|like|love|thanks?|thank|submit|for (?:the latest|more))\b"
)
# "3/50 …", "3 of 12": the counter of a slide in a photo gallery.
_SLIDE = re.compile(r"^\d{1,3} ?(?:/|of) ?\d{1,3}\b", _I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]*\w")
_CONTACT = re.compile(r"\b(?:e-?mail|contact|write to|send|submit|tips?|story|get in touch)\b")

# Bare interface labels: a whole block that is nothing but one of these is chrome.
_LABELS = frozenset(
    (
        "advertisement",
        "advertisements",
        "ad",
        "ads",
        "anzeige",
        "werbung",
        "publicité",
        "publicidad",
        "pubblicità",
        "sponsored",
        "promoted",
        "close",
        "next",
        "previous",
        "prev",
        "fullscreen",
        "thumbnails",
        "menu",
        "search",
        "share",
        "print",
        "email",
        "more",
        "skip",
        "loading",
        "top",
        "comments",
        "comment",
        "reply",
        "like",
        "follow",
        "toggle",
        "home",
        "login",
        "subscribe",
        "register",
        "image",
        "photo",
        "video",
        "gallery",
        "play",
        "pause",
        "mute",
        "unmute",
        "replay",
        "watch",
        "listen",
        "expand",
        "collapse",
        "thanks",
        "kommentare",
        "teilen",
        "mehr",
        "weiterlesen",
        "commentaires",
        "partager",
        "comentarios",
        "compartir",
        "commenti",
        "condividi",
        "back to top",
        "please wait",
        "article content",
        "story continues below",
        "continue reading",
        "read more",
        "read next",
        "read also",
        "see more",
        "show more",
        "show less",
        "load more",
        "view more",
        "view all",
        "see all",
        "log in",
        "sign in",
        "sign up",
        "now playing",
        "now watching",
        "up next",
        "skip ad",
        "share this",
        "share this article",
        "share this story",
        "share this post",
        "copy link",
        "link copied",
        "most read",
        "most popular",
        "top stories",
        "recommended",
        "related",
        "trending",
        "popular",
        "latest",
        "lire la suite",
        "leer más",
        "leggi di più",
        "mehr lesen",
        "chapters",
        "captions",
        "supported by",
        "skip to content",
        "skip to main content",
        "enlarge this image",
        "toggle caption",
        "hide caption",
        "show caption",
        "view gallery",
        "photo gallery",
        "open gallery",
        "like this",
        "paid content",
        "paid post",
        "trending now",
    )
)

# Headings that open a section of chrome. The whole heading must be one of these, optionally
# with what the section holds ("More business news", "Most read in Sport", "Comments (12)"), so
# that a subheading of the article ("More than 100 hurt") is not taken for one.
_SECTION_WORDS = (
    r"related|latest|more|recommended|popular|trending|featured|most (?:read|popular|viewed|"
    r"shared|commented|watched|recent)|top (?:stories|news|picks|reads)|comments?|"
    r"(?:leave|post|add|write) a (?:comment|reply)|you (?:may|might|will|could) (?:also )?"
    r"(?:like|enjoy|be interested in)|(?:read|watch|listen) (?:next|more|also)|also (?:read|see)|"
    r"editor s? (?:picks?|choice)|around the (?:web|site)|"
    r"from (?:our|the) (?:partners|web|network)|"
    r"sponsored|promoted|what to read next|keep reading|don t miss|must read|"
    r"in case you missed it|next (?:story|article|up)|up next|follow us|connect with us|"
    r"stay (?:connected|informed|in touch|ahead|up to date)|"
    r"weitere (?:\w+ )?(?:themen|artikel|nachrichten|beiträge|meldungen)|mehr themen|"
    r"top themen|zum weiterlesen|empfohlene (?:beiträge|artikel)|"
    r"verwandte (?:themen|artikel|beiträge)|ähnliche (?:artikel|beiträge|themen)|meistgelesen|"
    r"kommentare|mehr zum thema|auch interessant|schon gelesen|"
    r"das könnte (?:sie|dich) (?:auch )?interessieren|sur le même sujet|"
    r"articles (?:similaires|liés|recommandés)|les plus lus|commentaires|noticias relacionadas|"
    r"más noticias|lo más leído|comentarios|notas relacionadas|contenido relacionado|"
    r"artículos relacionados|temas relacionados|articoli correlati|più letti|commenti"
)
# Headings that are chrome only with teasers under them or after the article: they also name
# sections of articles and papers ("Discussion", "Other measures").
_SECTION_WORDS_AMBIGUOUS = (
    r"discussion|newsletters?|share(?: this)?|tags?|topics?|filed under|about the authors?|"
    r"recent|other"
)
_SECTION_TAIL = (
    r"(?: (?:\w+ ){0,2}(?:news|stories|articles|posts|content|videos?|coverage|reading|links|"
    r"topics|headlines|columns|reads|features|galleries|podcasts|updates|opinion|photos|"
    r"slide ?shows)|"
    r" for you| by this author| like this| this (?:week|story|article)|"
    r" (?:from|on|in|about|at|auf|bei|aus|zu|de|en|sur) (?:\w+ ?){1,5})?(?: \d+)?"
)
_SECTION_HEADING = re.compile(f"(?:{_SECTION_WORDS}){_SECTION_TAIL}")
_SECTION_HEADING_AMBIGUOUS = re.compile(f"(?:{_SECTION_WORDS_AMBIGUOUS}){_SECTION_TAIL}")

# Openers of a line that points the reader elsewhere: "READ MORE: …", "Related: …".
_POINTER = re.compile(
    r"^[\W_]*(?:(?:read|see|watch|listen) (?:more|also|next|now)|also read|more|related|watch|"
    r"recommended|see also|trending|latest|most read|popular|don'?t miss|must read|"
    r"editor'?s? picks?|click here|tap here|tags?|topics?|filed under|categories|keywords|"
    r"lesen sie (?:auch|hier|mehr)|auch interessant|mehr zum thema|siehe auch|"
    r"das könnte (?:sie|dich) (?:auch )?interessieren|schon gelesen|(?:à )?lire aussi|"
    r"à voir aussi|lee también|leer también|ver también|te puede interesar|leggi anche|"
    r"potrebbe interessarti|czytaj (?:też|także|więcej)|zobacz (?:też|także)|"
    r"dowiedz się więcej)\b\s*(?::|\||-|–|—|>|»|$)"
)
# What a chrome line can say without any action word: notices of the site about itself.
_NOTICE = re.compile(
    r"\b(?:this (?:video|content|feature|modal|page) (?:is|can|cannot|will|has)|"
    r"(?:not|no longer) available in your (?:region|country)|next video|autoplay|"
    r"continue reading (?:below|the main story)|temporarily unavailable|please try again|"
    r"enable javascript|javascript (?:is )?disabled|modal window|limited support for css|"
    r"up to date browser|(?:captions|subtitles|descriptions) (?:off|settings)|audio tracks?|"
    r"we want to hear from you|we'd love to hear from you|"
    r"for more (?:stories|articles|news|content) like this|all rights reserved|"
    r"may (?:earn|receive|get)(?: us| a| an| small| affiliate)* (?:commission|compensation)|"
    r"may not be (?:published|reproduced|redistributed|republished)|opens? in (?:a )?new window|"
    r"comments (?:are|have been) (?:closed|disabled)|media playback is (?:not |un)?supported)\b|"
    r"^(?:image|photo|picture|media|video) (?:copyright|caption|credit|source)\b|"
    r"story continues below|^copyright\b|\u00a9 ?\d{4}|, selected$|^(?:[\w-]+ ){0,4}newsletters?$"
)
_SOCIAL = re.compile(
    r"^(?:(?:share|tweet|email|e-mail|print|copy|link|save|facebook|twitter|x|linkedin|"
    r"whatsapp|reddit|pinterest|telegram|flipboard|messenger|sms|on|via|this|article|story|"
    r"post|comments?|\d+)\b[\W_]*){1,12}$",
    _I,
)
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE_WORDS = re.compile(
    r"\b(?:"
    + _MONTH
    + r"|mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|"
    r"sat(?:urday)?|sun(?:day)?|a\.?m|p\.?m|gmt|utc|[ecmp][sd]?t|bst|cet|cest|jst|ist|"
    r"published|updated|posted|first|originally|last|modified|on|at|am|pm|by|min|mins|read|"
    r"hours?|ago|"
    r"minutes?|days?|\d[\d:./-]*(?:st|nd|rd|th|h)?)\b",
    _I,
)
_BYLINE = re.compile(r"^(?:by|von|par|por|di|door)\s+[A-Z\u00c0-\u024f][^\s,]*(?:[ ,]|$)", _I)
_CREDIT = re.compile(
    r"^[\W_]*(?:photo|image|picture|pic|credit|illustration|video|graphic|source|copyright|"
    r"foto|fot|bild|titelbild|beitragsbild|quelle|crédits? photos?)s?"
    r"(?: (?:by|credit|courtesy))?\s*[:/.]|"
    r"\b(?:getty images|shutterstock|ap photo|afp(?: via getty images)?|reuters|epa|"
    r"alamy|istock)\)?[\W_]*$|\u00a9"
)
# An author's bio: "Jane Doe is a reporter for …", "… joined the paper in 2019 as an editor".
_BIO = re.compile(
    r"^(?:[A-Z][\w.'’-]*\s+){1,4}(?:is|was|has been|serves as|joined)\b.{0,120}?\b(?:writer|"
    r"reporter|editor|journalist|correspondent|columnist|contributor|blogger)\b"
)

# Sizes, in words.
_NOTICE_MAX_WORDS = 80  # a site notice can run to a short paragraph
_CTA_MAX_WORDS = 45  # a call to action is one or two short sentences
_LABEL_MAX_WORDS = 12  # a line this short with a chrome term and no full stop is chrome
_ADDRESSED_MAX_WORDS = 35  # a chrome term said to the reader is chrome up to this size
_CONTACT_MAX_WORDS = 25  # "Got a story? Email news@example.com"
_CREDIT_MAX_WORDS = 15  # "Photo: Jane Doe / Agency"
_TEASER_MAX_WORDS = 30  # a teaser line: a headline, perhaps with a one-line dek
_PROSE_MIN_WORDS = 40  # a paragraph this long is article prose
_SHORT_PROSE_MIN_WORDS = 12  # on a page without such paragraphs, its longest ones are
_HEADLINE_MIN_WORDS = 4  # a lone link this long reads as a headline, shorter is a label
_BIO_MAX_WORDS = 80


_LONGEST_LABEL = max(len(label.split()) for label in _LABELS) + 2
_TRAILING_COUNT = re.compile(r"(?: \d+)+$")


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text).strip().lower()


def is_call_to_action(text: str, *, in_body: bool = False) -> bool:
    """True when a short block of text is chrome that speaks to the reader.

    "Sign up for our newsletter", "Get the latest news in your inbox", "Follow us on X",
    "Advertisement", "READ MORE: …", "No comments yet". ``in_body``: the block sits between
    paragraphs of the article, where only clear calls to action count (a short line there that
    mentions a sign-up is more likely the article's own).
    """
    words = len(text.split())
    if words == 0:
        return False
    if words <= _LONGEST_LABEL and _TRAILING_COUNT.sub("", _key(text)) in _LABELS:
        return True  # "Comments (12)" too
    if words > _NOTICE_MAX_WORDS:
        return False
    low = text.lower()
    if _NOTICE.search(low):
        return True
    if words > _CTA_MAX_WORDS:
        return False
    if _POINTER.match(low):
        return True
    if (
        words <= _CONTACT_MAX_WORDS
        and "@" in low
        and _EMAIL.search(low)
        and (_ADDRESS.search(low) or _IMPERATIVE.match(low) or _CONTACT.search(low))
    ):
        return True
    strong = _STRONG_TERMS.search(low) is not None
    weak = not strong and _WEAK_TERMS.search(low) is not None
    if not (strong or weak) or _REPORTED.search(low):
        return False
    if _IMPERATIVE.match(low):
        return True
    if strong and not in_body and words <= _LABEL_MAX_WORDS and not low.rstrip().endswith("."):
        return True
    if weak and in_body:
        return False
    return words <= _ADDRESSED_MAX_WORDS and _ADDRESS.search(low) is not None


def _heading_like(block: Block) -> bool:
    """Short enough, and shaped like a heading rather than a sentence."""
    if block.words > 8 or block.kind in (BlockKind.QUOTE, BlockKind.CODE, BlockKind.TABLE):
        return False
    return block.kind == BlockKind.HEADING or not block.text.rstrip().endswith((".", "?", "!"))


def _section_heading(block: Block) -> int:
    """2: a heading that always opens chrome; 1: one that may; 0: not a chrome heading."""
    if not _heading_like(block):
        return 0
    key = _key(block.text)
    if _SECTION_HEADING.fullmatch(key):
        return 2
    return 1 if _SECTION_HEADING_AMBIGUOUS.fullmatch(key) else 0


def _is_teaser(block: Block, *, loose: bool) -> bool:
    """A block that can sit in a list of other articles: a link, a list item, a heading, and
    when ``loose`` any short block (a dek, a label)."""
    if block.words > _TEASER_MAX_WORDS and not block.linked:
        return False
    return loose or block.linked or block.kind in (BlockKind.ITEM, BlockKind.HEADING)


def _prose_indices(blocks: Sequence[Block]) -> list[int]:
    """The blocks that are surely the article's own prose.

    Paragraphs of 40 words and more; on a page of short paragraphs (a list, a product page),
    the longest of them, so that "the article" is never empty while it has text.
    """
    candidates = [
        (i, b.words)
        for i, b in enumerate(blocks)
        if b.kind in (BlockKind.PARAGRAPH, BlockKind.QUOTE, BlockKind.ITEM, BlockKind.OTHER)
        and not b.linked
    ]
    if not candidates:
        return []
    longest = max(words for _, words in candidates)
    threshold = min(_PROSE_MIN_WORDS, max(_SHORT_PROSE_MIN_WORDS, longest // 2))
    return [i for i, words in candidates if words >= threshold]


def _is_headline(block: Block) -> bool:
    return (
        block.linked
        and _HEADLINE_MIN_WORDS <= block.words <= _TEASER_MAX_WORDS
        and block.kind in (BlockKind.PARAGRAPH, BlockKind.ITEM)
    )


def _is_dateline(text: str) -> bool:
    """A line that is only a date, a time and publishing words: "Updated 24 July 2015, 11:29"."""
    if len(text.split()) > 12 or not re.search(r"\d", text):
        return False
    rest = _DATE_WORDS.sub(" ", text)
    return re.search(r"[^\W\d_]{2,}", rest) is None


def _is_edge_furniture(block: Block) -> bool:
    """Furniture that sits around the article: datelines, bylines, share bars."""
    if block.words > 12 or block.kind in (BlockKind.QUOTE, BlockKind.CODE, BlockKind.TABLE):
        return False
    text = block.text
    if _is_dateline(text) or _SOCIAL.match(text):
        return True
    if block.linked and block.words <= 3:  # a section label or tag linked from the page
        return True
    return block.words <= 6 and _BYLINE.match(text) is not None and not text.endswith(".")


def _is_credit(block: Block) -> bool:
    return (
        block.words <= _CREDIT_MAX_WORDS
        and block.kind != BlockKind.CODE
        and _CREDIT.search(block.text.lower()) is not None
    )


def find_chrome(blocks: Sequence[Block], *, title: str | None = None) -> frozenset[int]:
    """Indices of the blocks that are the site's chrome rather than the article.

    ``title`` is the article's headline: repeated as one of the first blocks, it is dropped
    too, so that the text starts with the article itself.
    """
    return frozenset(explain_chrome(blocks, title=title))


def explain_chrome(blocks: Sequence[Block], *, title: str | None = None) -> dict[int, str]:
    """``find_chrome`` with the reason for each block: index → name of the rule."""
    chrome: dict[int, str] = {}
    count = len(blocks)
    prose = _prose_indices(blocks)
    slides = sum(1 for b in blocks if _SLIDE.match(b.text))
    first_prose, last_prose = (prose[0], prose[-1]) if prose else (count, -1)

    if title:
        title_key = _key(title)
        for i, block in enumerate(blocks[:3]):
            if _key(block.text) == title_key:
                chrome[i] = "title"
                break

    # The longest paragraph is the article's, whatever it says: on a page of one block, a
    # copyright line inside it must not take the whole text with it.
    keep = max(prose, key=lambda i: blocks[i].words) if prose else -1
    for i, block in enumerate(blocks):
        if i in chrome or i == keep or block.kind == BlockKind.CODE:
            continue
        at_edge = i < first_prose or i > last_prose
        if is_call_to_action(block.text, in_body=not at_edge):
            chrome[i] = "call to action"
        elif _is_credit(block):
            chrome[i] = "credit"
        elif _is_headline(block):
            chrome[i] = "headline"
        elif _SLIDE.match(block.text) and slides > 1:
            chrome[i] = "gallery"
        elif at_edge and _is_edge_furniture(block):
            chrome[i] = "furniture"

    i = 0
    while i < count:
        strength = _section_heading(blocks[i])
        if not strength:
            i += 1
            continue
        # After the article, a sure chrome heading leads to more chrome, headings included;
        # within it, only links and list items can be the section's teasers.
        after = i > last_prose
        through = strength == 2 and after
        j = i + 1
        while j < count and _is_teaser(blocks[j], loose=after):
            if not through and _ends_section(blocks[j]):
                break
            j += 1
        if j > i + 1 or strength == 2 or after:
            for k in range(i, j):
                if k != keep:
                    chrome.setdefault(k, "chrome section")
        i = j

    for i in range(max(count - 3, 0), count):
        block = blocks[i]
        if i != keep and block.words <= _BIO_MAX_WORDS and _BIO.search(block.text):
            chrome.setdefault(i, "author bio")
    return chrome


def _ends_section(block: Block) -> bool:
    """A heading that is not itself chrome ends a chrome section: the article goes on."""
    return block.kind == BlockKind.HEADING and not block.linked and not _section_heading(block)
