"""`readers export` lists a reader's comments and sessions; `readers delete` erases their comments
(keeping an answered one's place) and ends their sessions; `readers remove` leaves comments."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from marketbrief.cli import app
from marketbrief.core import make_marketbrief
from marketbrief.model import Article, ArticleId, CommentStatus
from marketbrief.settings import load_settings

runner = CliRunner()
AGE = timedelta(days=30)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_export_and_delete_cover_comments_and_sessions(workspace: Path) -> None:
    for address in ("ada@example.com", "bob@example.com"):
        assert invoke("readers", "add", address, "--confirmed")[0] == 0
    with make_marketbrief(load_settings()) as brief:
        store, now = brief.store, brief.clock()
        ada, bob = store.get_reader("ada@example.com"), store.get_reader("bob@example.com")
        article = Article(
            id=ArticleId("a1"), url=None, title="T", text="Text.", language="en", published_at=now
        )
        store.upsert_article(article)

        def post(reader_id: int, text: str, parent: int | None = None) -> int:
            return store.add_comment(
                "a1",
                author_name=text.split()[0],
                body_markdown=text,
                body_html=f"<p>{text}</p>",
                status=CommentStatus.VISIBLE,
                now=now,
                reader_id=reader_id,
                parent_id=parent,
                ip_hash="h",
            ).id

        answered = post(ada.id, "Ada asks")
        post(bob.id, "Bob answers", answered)
        post(ada.id, "Ada alone")
        session = store.start_session(ada.id, now=now, max_age=AGE)

    code, output = invoke("readers", "export", "ada@example.com")
    assert code == 0
    exported = json.loads(output)
    assert [c["body_markdown"] for c in exported["comments"]] == ["Ada asks", "Ada alone"]
    assert [s["revoked_at"] for s in exported["sessions"]] == [None]
    assert "Bob answers" not in output and session not in output

    code, output = invoke("readers", "delete", "ada@example.com")
    assert code == 0
    with make_marketbrief(load_settings()) as brief:
        [thread] = brief.store.list_comments("a1")
        assert (thread.id, thread.status, thread.author_name, thread.body_markdown) == (
            answered,
            CommentStatus.DELETED,
            "",
            "",
        )
        assert [r.body_markdown for r in thread.replies] == ["Bob answers"]
        assert brief.store.session_reader(session, now=brief.clock(), max_age=AGE) is None

    # remove (not delete): Bob's comments stay as posted, no longer linked to a reader
    assert invoke("readers", "remove", "bob@example.com")[0] == 0
    with make_marketbrief(load_settings()) as brief:
        [reply] = brief.store.list_comments("a1")[0].replies
        assert (reply.body_markdown, reply.author_name, reply.reader_id) == (
            "Bob answers",
            "Bob",
            None,
        )
