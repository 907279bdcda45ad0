"""The forms as a person meets them: every POST form of every page carries the CSRF
token, written by the one macro in _forms.html; a field's error is read out with it."""
from html.parser import HTMLParser
from pathlib import Path

from tests.support import csrf_token

TEMPLATES = Path(__file__).parent.parent / "app" / "templates"


class PostForms(HTMLParser):
    """The POST forms of a page: for each, its action and the names of its inputs."""

    def __init__(self):
        super().__init__()
        self.forms, self._open = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._open = {"action": attrs.get("action"), "inputs": {}}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None:
            self._open["inputs"][attrs.get("name")] = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def post_forms(html):
    parser = PostForms()
    parser.feed(html)
    return parser.forms


def test_every_post_form_of_every_page_carries_the_csrf_token(app, world):
    client, thread, round_ = world["client"], world["thread"], world["round"]
    pages = ["/schedules", "/open-links", "/exports", "/account", "/account/sessions",
             "/board", f"/board/{thread.id}",
             f"/board/new?theme=engagement&round={round_.id}&team={round_.team_id}"]
    seen = set()
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        forms = post_forms(html)
        assert forms, path
        for form in forms:
            assert form["inputs"].get("csrf_token") == csrf_token(html), (path, form)
            seen.add(form["action"])
    anonymous = app.test_client()
    [sign_in_form] = post_forms(anonymous.get("/signin").get_data(as_text=True))
    assert sign_in_form["inputs"].get("csrf_token")
    # sign out, pause, delete, revoke, a reply, a reaction, hiding, status, edit...
    assert len(seen) >= 12


def test_only_the_macro_writes_the_csrf_input():
    """A hand-written token input drifts from the macro's (and is easy to forget)."""
    writers = sorted(str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
                     if "csrf_token" in path.read_text())
    assert writers == ["_forms.html"]


def test_a_fields_error_is_tied_to_its_input(client):
    """A screen reader reads the error with the field it belongs to."""
    page = client.get("/signin").get_data(as_text=True)
    response = client.post("/signin", data={"email": "", "password": "x",
                                            "csrf_token": csrf_token(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-describedby="email-error"' in html and 'aria-invalid="true"' in html
    assert '<p class="error" id="email-error">Type your email.</p>' in html
    assert 'id="password-error"' not in html
