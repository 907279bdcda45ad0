"""Every route declares who may use it; the declarations hold over HTTP."""
import re

from app.views.access import RULE, Rule
from tests.support import build_app, sign_in


def staff_rules(app):
    return {rule.rule: (rule, getattr(app.view_functions[rule.endpoint], RULE))
            for rule in app.url_map.iter_rules()
            if not getattr(app.view_functions[rule.endpoint], RULE).public}


def example_path(rule, **values):
    """A concrete path for a URL rule: <theme_key> -> workload, and so on."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "x"), rule.rule)


def test_every_route_declares_who_may_use_it(app):
    missing = [rule.rule for rule in app.url_map.iter_rules()
               if not isinstance(getattr(app.view_functions[rule.endpoint], RULE, None), Rule)]
    assert missing == []
    assert staff_rules(app), "the dashboards are staff-only"


def test_a_route_without_a_rule_is_refused(tmp_path):
    from app.db import db
    app = build_app(tmp_path, migrate=False)
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret figures")
    response = app.test_client().get("/forgotten")
    assert response.status_code == 404 and b"secret figures" not in response.data
    db.close()


def test_every_staff_route_sends_strangers_to_sign_in(app, client):
    for path, (rule, _declared) in staff_rules(app).items():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path_ = example_path(rule, theme_key="workload", thread_id="1", schedule_id="1",
                                 link_id="1")
            response = client.open(path_, method=method)
            # A POST without a CSRF token never gets as far as the view.
            assert response.status_code in (303, 400), (method, path)
            if response.status_code == 303:
                assert response.headers["Location"].startswith("/signin")


def test_a_leader_of_one_team_gets_404_from_every_page_of_another(app, two_teams):  # noqa: F811
    client = app.test_client()
    sign_in(client, two_teams["platform_lead"])
    sales = two_teams["sales"].id
    checked = 0
    for _path, (rule, declared) in staff_rules(app).items():
        if "GET" not in rule.methods or "leader" not in declared.roles:
            continue
        if "team" not in example_path(rule) and not rule.rule.startswith("/themes"):
            continue
        response = client.get(example_path(rule, theme_key="workload", thread_id="1") + f"?team={sales}")
        assert response.status_code == 404, rule.rule
        assert "people answered" not in response.get_data(as_text=True)
        checked += 1
    assert checked >= 2


def test_the_role_decides_what_a_signed_in_person_may_open(app, two_teams):  # noqa: F811
    client = app.test_client()
    sign_in(client, two_teams["platform_lead"])
    own = client.get(f"/themes?team={two_teams['platform'].id}")
    assert own.status_code == 200 and "Acme/Platform" in own.get_data(as_text=True)
