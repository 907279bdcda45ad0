"""HR exports as business functions: every file is parsed back with Python's csv module
and checked for thresholds, differencing, formula neutralisation, quoting, the BOM,
file names, streaming, comments' gating and the audit log."""
import re
from datetime import timedelta

import pytest

from app.crypto import keys
from app.errors import HeardError
from app.exports import files, spreadsheet
from app.models import AuditEntry, Comment, Round, Team, Theme, utcnow
from app.models.org import normalise_path
from app.thresholds import Thresholds
from app.views.errors import status_of
from tests.support import answer, close_with_answers, invitations_of, parse

T0 = utcnow() - timedelta(days=30)
FIGURES = ("respondents", "respondents_at_least", "mean_score", "favourable_share", "enps", "comments",
           "days_to_leader_reply", "replies", "reactions")


def download(kind="themes", actor=None, excel=False, k=5, k_comments=10, **filters):
    """(Export, the file's bytes) for filters as a person types them."""
    selection = files.choose(**filters)
    export = files.start(kind, selection, actor, Thresholds(k, k_comments),
                         excel=excel)
    return export, b"".join(export.chunks)


def themes_csv(**filters):
    return parse(download(**filters)[1])


def row(rows, path, theme):
    [found] = [r for r in rows if r["team_path"] == path and r["theme"] == theme]
    return found


def test_one_row_per_round_team_and_theme_with_plain_numbers(two_teams):  # noqa: F811
    export, raw = download()
    rows = parse(raw)
    assert tuple(rows[0]) == files.THEME_HEADER
    assert raw.startswith(b"round,round_closed,team_path,")  # no byte-order mark by default
    themes = {r["theme"] for r in rows}
    assert {"Workload", "Engagement"} <= themes
    assert {r["team_path"] for r in rows} == {"Acme", "Acme/Platform", "Acme/Sales"}
    assert len(rows) == 3 * len(themes) == export.rows
    acme = row(rows, "Acme", "Workload")
    assert acme["round"] == two_teams["round"].name
    assert acme["round_closed"] == f"{two_teams['round'].closes_at:%Y-%m-%d}"
    figures = acme["respondents_at_least"], acme["mean_score"], acme["favourable_share"]
    assert figures == ("5", "4.0", "1.0")
    # 22 of the 24 invited: the number would say that all but two answered.
    assert acme["respondents"] == ""
    assert acme["enps"] == "" and acme["suppressed"] == "no"
    assert row(rows, "Acme", "Engagement")["enps"] == "0"  # everyone a passive 8
    assert row(rows, "Acme/Platform", "Workload")["respondents_at_least"] == "5"
    assert row(rows, "Acme/Platform", "Workload")["comments"] == "11"


def test_a_negative_enps_stays_a_number(app, make_round):
    round_ = make_round({"Acme/Platform": 6}, now=T0)
    close_with_answers(round_, {"Acme/Platform": 6}, value=1, now=T0)  # eNPS answer 2
    raw = download()[1]
    assert b",-100," in raw and b"'-100" not in raw
    assert row(parse(raw), "Acme/Platform", "Engagement")["enps"] == "-100"


def test_a_small_group_and_the_group_it_could_be_subtracted_from_are_suppressed(
        app, make_round):
    """Sales has 3 respondents: below k. Platform has 11 and Acme 14, each enough alone,
    but Acme minus Platform would be Sales' 3 people: so Platform's row shows nothing
    either, and no pair of rows in the file leaves fewer than k people."""
    round_ = make_round({"Acme/Platform": 12, "Acme/Sales": 12}, now=T0)
    close_with_answers(round_, {"Acme/Platform": 11, "Acme/Sales": 3}, now=T0)
    rows = themes_csv()
    for path in ("Acme/Sales", "Acme/Platform"):
        suppressed = row(rows, path, "Workload")
        assert suppressed["suppressed"] == "yes" and suppressed["round"] == round_.name
        assert all(suppressed[column] == "" for column in FIGURES), suppressed
    assert row(rows, "Acme", "Workload")["respondents"] == "14"
    assert_no_subtraction_reveals_a_small_group(rows, k=5)


def test_a_larger_tree_keeps_every_difference_at_zero_or_k(app, make_round):
    round_ = make_round({"Acme/Eng/Web": 10, "Acme/Eng/Data": 10, "Acme/Eng/Ops": 10,
                         "Acme/Sales": 10}, now=T0)
    close_with_answers(round_, {"Acme/Eng/Web": 7, "Acme/Eng/Data": 6, "Acme/Eng/Ops": 2,
                                "Acme/Sales": 8}, now=T0)
    rows = themes_csv()
    assert row(rows, "Acme/Eng/Ops", "Workload")["suppressed"] == "yes"
    assert row(rows, "Acme", "Workload")["respondents"] == "23"
    assert_no_subtraction_reveals_a_small_group(rows, k=5)


def assert_no_subtraction_reveals_a_small_group(rows, k):
    """Per round and theme: each group whose respondents are printed, minus the largest
    such groups inside it, leaves 0 or at least k respondents."""
    shown = {(r["round"], r["theme"], r["team_path"]): int(r["respondents"])
             for r in rows if r["respondents"]}
    assert shown, "no respondents printed: nothing was checked"
    for (round_name, theme, path), size in shown.items():
        inside = [p for (rn, th, p) in shown if rn == round_name and th == theme
                  and p.startswith(path + "/")]
        largest = [p for p in inside if not any(p.startswith(q + "/") for q in inside)]
        rest = size - sum(shown[(round_name, theme, p)] for p in largest)
        assert rest == 0 or rest >= k, (path, theme, rest)


@pytest.mark.parametrize("start", spreadsheet.RISKY_STARTS)
def test_every_text_cell_that_could_start_a_formula_is_neutralised(start):
    risky = f"{start}HYPERLINK(\"http://evil.example\",\"x\")"
    raw = b"".join(spreadsheet.encode(("a", "b", "n"), [[risky, "safe", -12]]))
    [parsed] = parse(raw)
    assert parsed == {"a": "'" + risky, "b": "safe", "n": "-12"}


def test_names_and_comments_that_look_like_formulas_are_neutralised(app, make_round):
    round_ = make_round({"Acme/Platform": 12}, now=T0)
    for invitation, text in zip(invitations_of(round_),
                                ["=1+2 deadlines", "+cmd|' /C calc'!A0", "-2+3 workload",
                                 "@SUM(A1:A9) stress"] + ["fine, thanks"] * 8):
        answer(invitation, comment=text, now=T0)
    round_ = close_with_answers(round_, {}, now=T0)
    Round.update(name="=HYPERLINK(\"http://evil.example\")").where(Round.id == round_.id).execute()
    Theme.update(name="@Workload").where(Theme.key == "workload").execute()
    rows = themes_csv()
    assert {r["round"] for r in rows} == {"'=HYPERLINK(\"http://evil.example\")"}
    assert row(rows, "Acme", "'@Workload")["suppressed"] == "no"
    comments = parse(download("comments")[1])
    texts = {r["comment"] for r in comments}
    assert {"'=1+2 deadlines", "'+cmd|' /C calc'!A0", "'-2+3 workload",
            "'@SUM(A1:A9) stress", "fine, thanks"} <= texts
    for cell in (c for r in rows + comments for c in r.values()):
        assert not cell.startswith(spreadsheet.RISKY_STARTS), cell


def test_commas_quotes_and_line_breaks_are_quoted_and_read_back_whole(app, make_round):
    text = 'Too many "quick" syncs, every day;\r\nsecond line\nthird, too'
    round_ = make_round({"Acme/Platform": 12}, now=T0)
    for invitation in invitations_of(round_):
        answer(invitation, comment=text, now=T0)
    round_ = close_with_answers(round_, {}, now=T0)
    name = 'Pulse, "Q3"\nsecond line'
    Round.update(name=name).where(Round.id == round_.id).execute()
    raw = download("comments")[1]
    assert b'"Too many ""quick"" syncs, every day;\r\nsecond line\nthird, too"' in raw
    assert all(line.endswith(b"\r") for line in raw.split(b"\n")[:1])  # CRLF records
    comments = parse(raw)
    assert comments and {r["comment"] for r in comments} == {text}
    assert {r["round"] for r in comments} == {name}
    assert {r["round"] for r in themes_csv()} == {name}


def test_a_byte_order_mark_only_when_asked_for_excel(two_teams):  # noqa: F811
    plain, excel = download()[1], download(excel=True)[1]
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert excel.startswith(b"\xef\xbb\xbf") and excel[3:] == plain
    assert parse(excel) == parse(plain)


@pytest.mark.parametrize("name", ["../../etc/passwd; rm -rf ~", "Ünïcødé «pulse» — Q3",
                                  "日本語のみ", "\r\n\"';", "x" * 200])
def test_the_file_name_survives_any_round_or_team_name(two_teams, name):  # noqa: F811
    round_ = two_teams["round"]
    Round.update(name=name).where(Round.id == round_.id).execute()
    path = normalise_path(f"Acme/{name}")  # as the roster stores it
    Team.update(path=path).where(Team.id == two_teams["sales"].id).execute()
    for filters in ({"round_id": str(round_.id)}, {"team_path": path}, {}):
        filename = download(**filters)[0].filename
        assert re.fullmatch(r"heard-themes-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.csv", filename), filename
        assert len(filename) < 160
    assert download(round_id=str(round_.id))[0].filename.startswith(
        "heard-themes-" + (spreadsheet.name_part(name, "") or f"round-{round_.id}"))


def test_rounds_are_chosen_one_by_range_or_all(app, make_round):
    first = make_round({"Acme/Platform": 6}, now=T0)
    first = close_with_answers(first, {"Acme/Platform": 6}, now=T0)
    second = make_round({}, now=T0 + timedelta(days=7))
    second = close_with_answers(second, {"Acme/Platform": 6}, now=T0 + timedelta(days=7))
    everything = themes_csv()
    assert {r["round"] for r in everything} == {first.name, second.name}
    assert [r["round"] for r in everything][0] == first.name  # oldest first
    assert {r["round"] for r in themes_csv(round_id=str(second.id))} == {second.name}
    day = second.closes_at.date()
    assert {r["round"] for r in themes_csv(since=str(day))} == {second.name}
    assert {r["round"] for r in themes_csv(until=str(day - timedelta(days=1)))} == {first.name}
    both = themes_csv(since=str(first.closes_at.date()), until=str(day))
    assert len(both) == len(everything)


def test_a_team_limits_the_rows_to_its_subtree(two_teams):  # noqa: F811
    rows = themes_csv(team_path="Acme/Sales")
    assert {r["team_path"] for r in rows} == {"Acme/Sales"}
    assert row(rows, "Acme/Sales", "Workload")["respondents_at_least"] == "5"


@pytest.mark.parametrize("filters, status, message", [
    ({"round_id": "abc"}, 404, "There is no round “abc”"),
    ({"round_id": "999999"}, 404, "There is no round “999999”"),
    ({"team_path": "Nowhere/Team"}, 404, "There is no team “Nowhere/Team”"),
    ({"since": "2026-02-30"}, 422, "“2026-02-30” is not a date; write dates as YYYY-MM-DD"),
    ({"until": "yesterday"}, 422, "“yesterday” is not a date"),
    ({"since": "2026-05-02", "until": "2026-05-01"}, 422, "starts (2026-05-02) after it ends"),
    ({"since": "2099-01-01"}, 422, "No round closed on or after 2099-01-01"),
    ({"round_id": "1", "since": "2026-01-01"}, 422, "Choose one round or a range of dates"),
])
def test_bad_filters_are_refused_with_a_reason(two_teams, filters, status, message):  # noqa: F811
    with pytest.raises(HeardError) as refused:
        files.choose(**filters)
    assert status_of(refused.value) == status and message in str(refused.value)


def test_a_round_still_open_or_outside_the_team_is_refused(two_teams, make_round):  # noqa: F811
    open_round = make_round({"Acme/Ops": 6}, scope="Acme/Ops", now=utcnow())
    with pytest.raises(files.ExportError, match="is still open"):
        files.choose(round_id=str(open_round.id))
    sales_only = make_round({}, scope="Acme/Sales", now=T0)
    sales_only = close_with_answers(sales_only, {"Acme/Sales": 5}, now=T0)
    with pytest.raises(files.ExportError, match="did not ask anyone in Acme/Platform"):
        files.choose(round_id=str(sales_only.id), team_path="Acme/Platform")


def test_threads_add_their_status_response_time_replies_and_reactions(thread):  # noqa: F811
    from app.board import conversations, reactions
    from app.models import Person
    person = Person.get(Person.email == thread.author.email)
    post = conversations.reply(person, thread, "Thanks", False)
    key = reactions.mark_key()
    reactions.react(person, thread, "me_too", key, thread)
    reactions.react(person, post, "helpful", key, thread)  # reactions on replies count too
    rows = themes_csv()
    answered = row(rows, "Acme/Platform", "Workload")
    assert (answered["thread_status"], answered["days_to_leader_reply"], answered["replies"],
            answered["reactions"]) == ("Acknowledged", "2", "1", "2")
    assert row(rows, "Acme/Sales", "Workload")["thread_status"] == ""


def test_comments_are_off_unless_allowed_and_only_for_hr(make_staff, app):
    with pytest.raises(files.NotAllowed, match="HEARD_ALLOW_COMMENT_EXPORT"):
        files.may_export_comments(make_staff(role="hr"), False)
    with pytest.raises(files.NotAllowed, match="Only HR"):
        files.may_export_comments(make_staff(role="admin"), True)
    files.may_export_comments(make_staff(role="hr", name="Other HR"), True)
    files.may_export_comments(None, True)  # the operator, on the command line


def test_comments_name_only_groups_of_k_comments_and_never_an_author(app, make_round):
    """Sales' 5 respondents pass k but not k_comments (10); Platform's 11 do, but Acme
    (16) minus Platform would name Sales' 5 commenters: every comment is shown as
    coming from Acme, as the theme pages show it."""
    round_ = make_round({"Acme/Platform": 12, "Acme/Sales": 12}, now=T0)
    for invitation in [i for i in invitations_of(round_) if i.team.path == "Acme/Platform"][:11]:
        answer(invitation, comment="Deadline pressure", signed=True, now=T0)
    for invitation in [i for i in invitations_of(round_) if i.team.path == "Acme/Sales"][:5]:
        answer(invitation, comment="Workload is fine", now=T0)
    close_with_answers(round_, {}, now=T0)
    export, raw = download("comments")
    comments = parse(raw)
    assert tuple(comments[0]) == files.COMMENT_HEADER
    assert {r["team_path"] for r in comments} == {"Acme"}
    assert len(comments) == export.rows == sum(
        int(r["comments"]) for r in themes_csv() if r["team_path"] == "Acme")
    signed = [i.person for i in invitations_of(round_) if i.team.path == "Acme/Platform"]
    assert not any(p.name.encode() in raw or p.email.encode() in raw for p in signed)
    assert Comment.select().where(Comment.author.is_null(False)).count() == 11


def test_no_comments_above_the_threshold_is_a_refusal_not_an_empty_file(app, make_round):
    round_ = make_round({"Acme/Platform": 12}, now=T0)
    for invitation in invitations_of(round_)[:6]:
        answer(invitation, comment="Deadline pressure", now=T0)
    close_with_answers(round_, {}, now=T0)
    with pytest.raises(files.ExportError, match="at least 10 respondents"):
        download("comments")


def test_comments_are_read_in_pages_each_exactly_once(app, make_round, monkeypatch):
    monkeypatch.setattr(files, "COMMENTS_PER_QUERY", 3)
    monkeypatch.setattr(spreadsheet, "ROWS_PER_CHUNK", 4)
    round_ = make_round({"Acme/Platform": 12, "Acme/Sales": 12}, now=T0)
    for n, invitation in enumerate(invitations_of(round_)):
        answer(invitation, comment=f"comment {n} about deadline stress", now=T0)
    close_with_answers(round_, {}, now=T0)
    export = files.start("comments", files.choose(), None, Thresholds(5, 10))
    chunks = list(export.chunks)
    comments = parse(b"".join(chunks))
    assert len(chunks) > 5  # written as they are read, not all at once
    texts = sorted(r["comment"] for r in comments)
    assert len(texts) == export.rows and len(set(texts)) == 24
    assert len(texts) == len({(r["theme"], r["comment"]) for r in comments})


def test_every_export_is_in_the_audit_log_with_its_filters_and_rows(two_teams):  # noqa: F811
    hr = two_teams["hr"]
    selection = files.choose(team_path="Acme/Sales", since="2020-01-01")
    export = files.start("themes", selection, hr, Thresholds(5, 10), excel=True)
    [entry] = AuditEntry.select().where(AuditEntry.action == "export_themes")
    from app.accounts import audit
    assert entry.actor_id == hr.id and entry.subject == export.filename
    assert audit.details(entry) == {"rows": export.rows, "excel": True, "team": "Acme/Sales",
                                    "since": "2020-01-01", "until": None, "round": None}
    assert export.rows > 0


def test_a_shredded_round_has_no_comments_left_to_export(app, make_round):
    round_ = make_round({"Acme/Platform": 12}, now=T0)
    for invitation in invitations_of(round_):
        answer(invitation, comment="Deadline pressure", now=T0)
    round_ = close_with_answers(round_, {}, now=T0)
    keys.destroy_data_key(round_.data_key)
    with pytest.raises(files.ExportError, match="No comment of these rounds may be exported"):
        download("comments")
    assert row(themes_csv(), "Acme", "Workload")["mean_score"] != ""  # figures stay
