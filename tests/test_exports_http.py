"""The exports page and downloads over HTTP, per role, and the command line."""
import csv
import io

import pytest

from app.models import AuditEntry
from tests.support import build_app, csrf_token, parse, sign_in, sign_in_by_link

pytestmark = pytest.mark.app_settings(ALLOW_COMMENT_EXPORT=True)


def signed_in(app, person):
    client = app.test_client()
    sign_in(client, person)
    return client


def post_export(client, **fields):
    page = client.get("/exports").get_data(as_text=True)
    return client.post("/exports", data={"csrf_token": csrf_token(page), **fields})


def test_hr_chooses_a_round_and_downloads_a_csv(app, two_teams):  # noqa: F811
    client = signed_in(app, two_teams["hr"])
    page = client.get("/exports").get_data(as_text=True)
    assert "Export as CSV" in page and two_teams["round"].name in page
    assert 'value="Acme/Sales"' in page and 'value="comments"' in page
    response = post_export(client, round=str(two_teams["round"].id), team="", excel="yes")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="heard-themes-')
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = parse(raw)
    assert {r["team_path"] for r in rows} == {"Acme", "Acme/Platform", "Acme/Sales"}
    [entry] = AuditEntry.select().where(AuditEntry.action == "export_themes")
    assert entry.actor_id == two_teams["hr"].id and f'"rows": {len(rows)}' in entry.detail


def test_hr_reads_the_export_in_the_audit_log(app, two_teams):  # noqa: F811
    client = signed_in(app, two_teams["hr"])
    post_export(client, team="Acme/Sales", kind="comments")
    log = client.get("/audit").get_data(as_text=True)
    assert "export comments" in log and "heard-comments-all-rounds-acme-sales-" in log
    assert "team: Acme/Sales" in log and "rows: 11" in log
    assert "The deadline pressure" not in log  # never what anyone wrote


def test_the_nav_offers_exports_to_hr_and_admins_only(app, two_teams, make_staff):  # noqa: F811
    assert 'href="/exports"' in signed_in(app, two_teams["hr"]).get("/audit").get_data(as_text=True)
    leader_page = signed_in(app, two_teams["platform_lead"]).get("/themes").get_data(as_text=True)
    assert 'href="/exports"' not in leader_page


@pytest.mark.parametrize("who", ["platform_lead", "employee"])
def test_leaders_and_employees_get_404_for_exports(app, two_teams, who):  # noqa: F811
    from app.models import Person
    client = app.test_client()
    if who == "employee":
        sign_in_by_link(client, Person.get(Person.role == "employee"))
    else:
        sign_in(client, two_teams[who])
    board = client.get("/board").get_data(as_text=True)
    for response in (client.get("/exports"),
                     client.post("/exports", data={"csrf_token": csrf_token(board)})):
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("text/html")
        assert "round," not in response.get_data(as_text=True)
    assert AuditEntry.select().count() == 0


def test_signed_out_visitors_are_sent_to_sign_in(app, two_teams):  # noqa: F811
    response = app.test_client().get("/exports")
    assert response.status_code in (302, 303) and "/signin" in response.headers["Location"]


def test_a_download_without_the_csrf_token_is_refused(app, two_teams):  # noqa: F811
    client = signed_in(app, two_teams["hr"])
    response = client.post("/exports", data={"round": str(two_teams["round"].id)})
    assert response.status_code == 400 and AuditEntry.select().count() == 0


def test_an_admin_exports_themes_but_not_comments(app, two_teams, make_staff):  # noqa: F811
    client = signed_in(app, make_staff(role="admin"))
    page = client.get("/exports").get_data(as_text=True)
    assert 'value="comments"' not in page and "Only HR may export comments." in page
    assert post_export(client).status_code == 200
    refused = post_export(client, kind="comments")
    assert refused.status_code == 403 and "Only HR may export comments." in refused.get_data(
        as_text=True)


def test_comments_are_off_unless_the_operator_allows_them(app, two_teams):  # noqa: F811
    app.config["ALLOW_COMMENT_EXPORT"] = False
    client = signed_in(app, two_teams["hr"])
    page = client.get("/exports").get_data(as_text=True)
    assert "turned off" in page and 'value="comments"' not in page
    refused = post_export(client, kind="comments")
    assert refused.status_code == 403 and "turned off" in refused.get_data(as_text=True)
    assert AuditEntry.select().count() == 0


@pytest.mark.parametrize("fields, status, message", [
    ({"round": "12345"}, 404, "There is no round “12345”"),
    ({"team": "Nowhere"}, 404, "There is no team “Nowhere”"),
    ({"team": "Acme\x00"}, 404, "There is no team"),
    ({"team": "A/" * 3000}, 404, "There is no team"),
    ({"since": "31/12/2026"}, 422, "“31/12/2026” is not a date"),
    ({"since": "2099-01-01"}, 422, "No round closed on or after 2099-01-01"),
    ({"kind": "people"}, 404, "There is no “people” export"),
    # The form types the round and the days with the export's own rules: int() and
    # strptime would take these.
    ({"round": "1_0"}, 404, "There is no round “1_0”"),
    ({"round": "３"}, 404, "There is no round “３”"),
    ({"until": "2026-3-1"}, 422, "“2026-3-1” is not a date"),
    ({"since": "２０２６-01-01"}, 422, "is not a date"),
    # Several wrong at once: the export's rules say the first they meet, in their order.
    ({"round": "abc", "since": "2026-01-01"}, 422, "Choose one round or a range of dates"),
    ({"team": "Nope", "since": "31/12/2026"}, 404, "There is no team “Nope”"),
])
def test_bad_choices_come_back_on_the_page_never_as_a_file(
        app, two_teams, fields, status, message):  # noqa: F811
    client = signed_in(app, two_teams["hr"])
    response = post_export(client, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == status and message in html
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Download CSV" in html and "Content-Disposition" not in response.headers
    assert AuditEntry.select().count() == 0
    for name, typed in fields.items():  # what was typed comes back, to be fixed
        if name in ("since", "until") and "\x00" not in typed:
            assert f'value="{typed}"' in html, name


def test_only_the_excel_box_ticked_adds_the_byte_order_mark(app, two_teams):  # noqa: F811
    client = signed_in(app, two_teams["hr"])
    for excel, marked in (("yes", True), ("no", False), ("", False)):
        raw = post_export(client, round=str(two_teams["round"].id), excel=excel).get_data()
        assert raw.startswith(b"\xef\xbb\xbf") is marked, excel


def test_the_command_line_writes_csv_to_stdout_and_audits_it(app, two_teams):  # noqa: F811
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", "themes", "--round", str(two_teams["round"].id),
                                 "--team", "Acme/Platform"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert {r["team_path"] for r in rows} == {"Acme/Platform"}
    assert f"{len(rows)} row(s) written" in result.stderr
    [entry] = AuditEntry.select()
    assert entry.actor is None and entry.action == "export_themes"
    comments = runner.invoke(args=["export", "comments", "--excel"])
    assert comments.exit_code == 0 and comments.stdout_bytes.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("args, message", [
    (["--round", "1", "--since", "2026-01-01"], "Choose one round or a range of dates"),
    (["--round", "x"], "There is no round “x”"),
    (["--since", "2026-1-5"], "“2026-1-5” is not a date"),
    (["--team", "Nope"], "There is no team “Nope”"),
])
def test_the_command_line_explains_bad_filters_and_writes_nothing(
        app, two_teams, args, message):  # noqa: F811
    result = app.test_cli_runner().invoke(args=["export", "themes", *args])
    assert result.exit_code == 1 and message in result.stderr and result.stdout == ""


def test_the_command_line_refuses_comments_unless_allowed(tmp_path):
    from app.db import db
    app = build_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["export", "comments"])
    assert result.exit_code == 1 and "HEARD_ALLOW_COMMENT_EXPORT" in result.stderr
    db.close()


@pytest.mark.parametrize("value, expected", [("true", True), ("no", False), ("1", True)])
def test_the_comment_export_setting_reads_true_or_false(tmp_path, value, expected):
    from app.db import db
    app = build_app(tmp_path, ALLOW_COMMENT_EXPORT=value)
    assert app.config["ALLOW_COMMENT_EXPORT"] is expected
    db.close()


def test_a_mistyped_setting_stops_start_up(tmp_path):
    from app import StartupError
    with pytest.raises(StartupError, match="HEARD_ALLOW_COMMENT_EXPORT is 'ture'"):
        build_app(tmp_path, ALLOW_COMMENT_EXPORT="ture")


def downloaded_rows(client):
    response = post_export(client, kind="themes")
    assert response.status_code == 200
    return {(r["team_path"], r["theme"]): r for r in parse(response.data)}


def test_f8_the_export_counts_respondents_only_where_participation_may_show(
        ops_with_warehouse):  # noqa: F811
    rows = downloaded_rows(ops_with_warehouse)
    for path in ("Acme/Ops", "Acme/Ops/Warehouse"):  # 15 of 17 and 8 of 10
        ops = rows[(path, "Workload")]
        assert ops["suppressed"] == "no" and ops["mean_score"] != ""
        assert ops["respondents"] == "" and ops["respondents_at_least"] == "5"
    platform = rows[("Acme/Platform", "Workload")]
    assert platform["respondents"] == platform["respondents_at_least"] == "10"


def test_f9_the_export_counts_comments_only_where_comments_may_show(
        platform_within_acme):  # noqa: F811
    client, _thread = platform_within_acme
    rows = downloaded_rows(client)
    assert rows[("Acme", "Workload")]["comments"] == "18"
    platform = rows[("Acme/Platform", "Workload")]
    assert platform["suppressed"] == "no" and platform["comments"] == ""
    comments = parse(post_export(client, kind="comments").data)
    assert len(comments) == 18 and {r["team_path"] for r in comments} == {"Acme"}
