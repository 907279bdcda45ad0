"""The public board, through its business functions: threads, replies, reactions,
statuses, moderation, who may see what, and response times."""
from datetime import timedelta

import pytest

from app.accounts import audit
from app.board import conversations, listing, plaintext, reactions
from app.board.conversations import Conflict, ConversationError, NotAllowed, NotFound
from app.models import (
    AuditEntry, Person, Post, ReactionMark, Team, Theme, Thread, ThreadEvent, utcnow)
from app.models.board import ReactionKey
from app.thresholds import Thresholds
from app.views.errors import status_of


def member_of(path, role="employee"):
    team = Team.by_path(path)
    return Person.select().where(Person.team == team, Person.role == role).first()


def fresh(thread):
    return conversations.thread_by_id(thread.id)


def test_a_leader_answers_a_theme_and_the_board_knows_how_fast(thread, two_teams):  # noqa: F811
    assert thread.response_days == 2
    assert [e.kind for e in conversations.timeline(thread)] == ["opened"]
    with pytest.raises(Conflict) as repeat:
        conversations.open_thread(two_teams["platform_lead"], two_teams["round"],
                                  Theme.get_by_id("workload"), two_teams["platform"], "Again",
                                  "planned")
    assert repeat.value.thread.id == thread.id
    [row] = listing.response_times([fresh(thread)])
    assert row.median_days == 2 and row.threads == 1


@pytest.mark.parametrize("who, error", [("employee", NotAllowed), ("sales_lead", NotAllowed)])
def test_only_a_leader_of_the_scope_may_open_a_thread(two_teams, who, error):  # noqa: F811
    person = member_of("Acme/Platform") if who == "employee" else two_teams[who]
    with pytest.raises(error, match="Only a leader of Acme/Platform"):
        conversations.open_thread(person, two_teams["round"], Theme.get_by_id("workload"),
                                  two_teams["platform"], "Hello", "planned")
    assert Thread.select().count() == 0


def test_an_open_round_cannot_be_answered_yet(app, make_round, make_staff):
    round_ = make_round({"Acme/Platform": 6})
    leader = make_staff(team="Acme/Platform", leads="Acme/Platform")
    with pytest.raises(ConversationError, match="still open"):
        conversations.open_thread(leader, round_, Theme.get_by_id("workload"),
                                  Team.by_path("Acme/Platform"), "Hello", "planned")


def test_statuses_and_edits_appear_in_the_timeline(thread, two_teams):  # noqa: F811
    leader = two_teams["platform_lead"]
    conversations.set_status(leader, fresh(thread), "planned")
    conversations.set_status(leader, fresh(thread), "in_progress")
    conversations.edit_thread(leader, fresh(thread), "We moved the release by two weeks.")
    with pytest.raises(ConversationError, match="reason for “won't do”"):
        conversations.set_status(leader, fresh(thread), "wont_do", "  ")
    conversations.set_status(leader, fresh(thread), "wont_do", "The date is contractual.")
    events = [(e.kind, e.old_status, e.new_status) for e in conversations.timeline(thread)]
    assert events == [("opened", None, "acknowledged"), ("status", "acknowledged", "planned"),
                      ("status", "planned", "in_progress"), ("edited", None, None),
                      ("status", "in_progress", "wont_do")]
    current = fresh(thread)
    assert current.status_reason == "The date is contractual." and current.revision == 4
    with pytest.raises(ConversationError, match="already"):
        conversations.set_status(leader, current, "wont_do", "The date is contractual.")
    with pytest.raises(ConversationError, match="Choose a status"):
        conversations.set_status(leader, current, "sideways")


@pytest.mark.parametrize("who", ["employee", "sales_lead"])
def test_nobody_but_a_leader_of_the_scope_changes_a_status(thread, two_teams, who):  # noqa: F811
    person = member_of("Acme/Platform") if who == "employee" else two_teams[who]
    with pytest.raises(NotAllowed, match="Only a leader of Acme/Platform"):
        conversations.set_status(person, fresh(thread), "done")
    with pytest.raises(NotAllowed):
        conversations.edit_thread(person, fresh(thread), "Rewritten")
    assert fresh(thread).status == "acknowledged"
    assert ThreadEvent.select().count() == 1


def test_an_anonymous_reply_keeps_no_author_and_no_readable_text(thread):
    employee = member_of("Acme/Platform")
    post = conversations.reply(employee, fresh(thread), "Thank you, finally.", True)
    stored = Post.get_by_id(post.id)
    assert stored.author_id is None and stored.body is None
    assert b"finally" not in stored.sealed
    assert not hasattr(stored, "created_at") and len(stored.id) == 16
    [shown] = conversations.posts_of(fresh(thread))
    assert shown.author is None and shown.text == "Thank you, finally."
    assert fresh(thread).replies == 1


def test_a_sealed_reply_copied_into_another_row_does_not_open(thread):
    employee = member_of("Acme/Platform")
    first = conversations.reply(employee, fresh(thread), "first", True)
    second = conversations.reply(employee, fresh(thread), "second", True)
    Post.update(sealed=Post.get_by_id(first.id).sealed).where(Post.id == second.id).execute()
    from app.crypto.blobs import BlobError
    with pytest.raises(BlobError):
        conversations.posts_of(fresh(thread))


def test_replies_nest_two_levels_and_a_signed_reply_shows_its_author(thread, two_teams):  # noqa: F811
    employee = member_of("Acme/Platform")
    top = conversations.reply(employee, fresh(thread), "Top", False)
    child = conversations.reply(two_teams["platform_lead"], fresh(thread), "Child", False,
                                parent_hex=top.id.hex())
    conversations.reply(employee, fresh(thread), "Grandchild", True,
                        parent_hex=child.id.hex())
    [shown] = conversations.posts_of(fresh(thread))
    assert shown.author == employee.name and shown.role is None
    assert [(p.text, p.author, p.role) for p in shown.replies] in (
        [("Child", two_teams["platform_lead"].name, "leader"), ("Grandchild", None, None)],
        [("Grandchild", None, None), ("Child", two_teams["platform_lead"].name, "leader")])


def test_staff_reply_with_their_name(thread, two_teams):  # noqa: F811
    with pytest.raises(ConversationError, match="reply with their name"):
        conversations.reply(two_teams["hr"], fresh(thread), "Psst", True)


@pytest.mark.parametrize("body, message", [
    ("", "empty"), ("   \n\t ", "empty"), ("x" * 5001, "5,001 characters long; the limit is 5,000"),
    ("bell \x07", "a control or text-direction character"),
    ("nul \x00", "a control or text-direction character")])
def test_bad_replies_are_refused_and_nothing_is_stored(thread, body, message):
    with pytest.raises(ConversationError, match=message) as refused:
        conversations.reply(member_of("Acme/Platform"), fresh(thread), body, True)
    assert status_of(refused.value) == 422  # the reply comes back to be fixed
    assert Post.select().count() == 0 and fresh(thread).replies == 0


def test_exactly_5000_characters_is_fine(thread):
    conversations.reply(member_of("Acme/Platform"), fresh(thread), "x" * 5000, False)
    assert Post.select().count() == 1


def test_replies_to_missing_or_hidden_posts_are_refused(thread, two_teams):  # noqa: F811
    employee = member_of("Acme/Platform")
    for missing in ("nothex", "00" * 16, "0" * 31):
        with pytest.raises(NotFound):
            conversations.reply(employee, fresh(thread), "Hi", False,
                                parent_hex=missing)
    post = conversations.reply(employee, fresh(thread), "Rude words", False)
    conversations.hide_post(two_teams["hr"], fresh(thread), post.id.hex(), "Insulting")
    with pytest.raises(Conflict, match="hidden by HR"):
        conversations.reply(employee, fresh(thread), "Hi", False,
                            parent_hex=post.id.hex())
    assert Post.select().count() == 1


def test_hr_hides_a_reply_with_a_reason_and_the_audit_log_says_who(thread, two_teams):  # noqa: F811
    employee = member_of("Acme/Platform")
    post = conversations.reply(employee, fresh(thread), "Names someone cruelly", True)
    with pytest.raises(NotAllowed):
        conversations.hide_post(two_teams["platform_lead"], fresh(thread), post.id.hex(), "x")
    conversations.hide_post(two_teams["hr"], fresh(thread), post.id.hex(), "Personal attack")
    stored = Post.get_by_id(post.id)
    assert stored.sealed is None and stored.body is None
    [shown] = conversations.posts_of(fresh(thread))
    assert shown.text is None and shown.hidden_reason == "Personal attack"
    [entry] = audit.entries()
    assert entry.actor.id == two_teams["hr"].id and entry.action == "hide_reply"
    assert audit.details(entry)["reason"] == "Personal attack"
    assert "cruelly" not in entry.detail + entry.subject
    with pytest.raises(Conflict, match="already hidden"):
        conversations.hide_post(two_teams["hr"], fresh(thread), post.id.hex(), "again")
    assert fresh(thread).replies == 0 and AuditEntry.select().count() == 1


def test_one_reaction_of_each_kind_per_person_without_a_list_of_who(thread):
    key = reactions.mark_key()
    first, second = Person.select().where(Person.role == "employee").limit(2)
    reactions.react(first, fresh(thread), "me_too", key, thread)
    reactions.react(first, fresh(thread), "helpful", key, thread)
    with pytest.raises(reactions.AlreadyReacted, match="already said “Me too”"):
        reactions.react(first, fresh(thread), "me_too", key, thread)
    reactions.react(second, fresh(thread), "me_too", key, thread)
    with pytest.raises(reactions.ReactionError):
        reactions.react(second, fresh(thread), "applause", key, thread)
    assert (fresh(thread).me_too, fresh(thread).helpful) == (2, 1)
    assert [f.name for f in ReactionMark._meta.sorted_fields] == ["mark", "day"]
    marks = {m.mark for m in ReactionMark.select()}
    assert len(marks) == 3 and not any(str(first.id) == m for m in marks)
    item = reactions.item_of(thread)
    assert reactions.given(first, [item], key) == {(item, "me_too"), (item, "helpful")}
    assert reactions.given(second, [item], key) == {(item, "me_too")}


def test_the_next_day_nobody_knows_who_reacted_not_even_heard(thread):
    """The documented price of forgetting: the next day a person may react again."""
    today = utcnow()
    person = member_of("Acme/Platform")
    reactions.react(person, fresh(thread), "me_too", reactions.mark_key(today),
                    thread)
    tomorrow = reactions.mark_key(today + timedelta(days=1))
    assert ReactionMark.select().count() == 0 and ReactionKey.select().count() == 1
    assert reactions.given(person, [reactions.item_of(thread)], tomorrow) == set()
    reactions.react(person, fresh(thread), "me_too", tomorrow, thread)
    assert fresh(thread).me_too == 2


def test_who_sees_which_thread(thread, two_teams):  # noqa: F811
    hr = two_teams["hr"]
    organisation = conversations.open_thread(
        hr, two_teams["round"], Theme.get_by_id("recognition"), Team.by_path("Acme"),
        "Recognition, company-wide", "planned")
    platform, sales = member_of("Acme/Platform"), member_of("Acme/Sales")
    seen = {p: {t.id for t in listing.visible_threads(p)}
            for p in (platform, sales, two_teams["sales_lead"], hr)}
    assert seen[platform] == {thread.id, organisation.id}
    assert seen[sales] == {organisation.id}
    assert seen[two_teams["sales_lead"]] == {organisation.id}
    assert seen[hr] == {thread.id, organisation.id}
    with pytest.raises(NotFound):
        conversations.reply(sales, fresh(thread), "Let me in", False)
    assert {t.id for t in listing.visible_threads(platform, status="planned")} == {organisation.id}
    assert {t.id for t in listing.visible_threads(platform, theme_key="workload")} == {thread.id}


def test_themes_awaiting_a_reply_leave_once_answered(two_teams):  # noqa: F811
    from app.results import dashboard
    view = dashboard.build_view(two_teams["round"], two_teams["platform"], Thresholds(5, 10))
    waiting = {theme.key for theme, _what in listing.awaiting(view)}
    assert "workload" in waiting
    conversations.open_thread(two_teams["platform_lead"], two_teams["round"],
                              Theme.get_by_id("workload"), two_teams["platform"], "On it",
                              "planned")
    assert "workload" not in {theme.key for theme, _what in listing.awaiting(view)}


def test_the_median_response_time_per_round(two_teams):  # noqa: F811
    lead, round_ = two_teams["platform_lead"], two_teams["round"]
    for days, key in ((1, "workload"), (4, "recognition"), (10, "growth")):
        conversations.open_thread(lead, round_, Theme.get_by_id(key), two_teams["platform"],
                                  "Answer", "acknowledged", now=round_.closed_at + timedelta(days=days))
    [row] = listing.response_times(listing.visible_threads(lead))
    assert row.threads == 3 and row.median_days == 4


def test_the_summary_shows_only_figures_that_pass(thread, two_teams):  # noqa: F811
    shown = listing.summary(fresh(thread), Thresholds(5, 10))
    # 11 of 12 answered: the figures show, the count does not (it would say who did not).
    assert shown.card.now.answers is None and shown.card.now.at_least == 5
    assert shown.comments is not None
    hidden = listing.summary(fresh(thread), Thresholds(12, 12))
    assert hidden.card.now.suppressed and hidden.comments is None


@pytest.mark.parametrize("text, expected", [
    ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
    ('<a hx-post="/x" href="javascript:alert(1)">x</a>',
     "&lt;a hx-post=&#34;/x&#34; href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;"),
    ("see https://intranet.example/plan.", 'see <a href="https://intranet.example/plan" '
     'rel="nofollow noopener noreferrer ugc">https://intranet.example/plan</a>.'),
    ("javascript:alert(1)", "javascript:alert(1)"),
    ("one\ntwo", "one<br>\ntwo"),
    ('https://x.example/"onmouseover="alert(1)', '<a href="https://x.example/" rel="nofollow '
     'noopener noreferrer ugc">https://x.example/</a>&#34;onmouseover=&#34;alert(1)'),
])
def test_text_is_shown_exactly_as_typed_with_only_web_links_clickable(text, expected):
    assert str(plaintext.render(text)) == expected


def test_text_is_stored_as_typed(thread):
    typed = "<script>alert(1)</script> & {{ 7*7 }}\r\nline two"
    post = conversations.reply(member_of("Acme/Platform"), fresh(thread), typed, False)
    assert Post.get_by_id(post.id).body == typed.replace("\r\n", "\n")


def test_activity_orders_the_board(thread, two_teams):  # noqa: F811
    later = conversations.open_thread(
        two_teams["platform_lead"], two_teams["round"], Theme.get_by_id("growth"),
        two_teams["platform"], "Growth", "planned", now=utcnow() + timedelta(days=1))
    lead = two_teams["platform_lead"]
    assert [t.id for t in listing.visible_threads(lead)][:2] == [later.id, thread.id]
    conversations.reply(lead, fresh(thread), "News", False,
                        now=utcnow() + timedelta(days=2))
    assert [t.id for t in listing.visible_threads(lead)][:2] == [thread.id, later.id]
