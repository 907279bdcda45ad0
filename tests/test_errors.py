"""Refusals: every business error is one kind of app.errors, and app.views.errors gives
each kind the status a person sees, on the error page or beside their form."""
import importlib
import inspect
import pkgutil
import sys

import pytest

import app as heard
from app import errors
from app.accounts import credentials
from app.db import db
from app.models import Schedule
from app.views.access import public
from app.views.errors import STATUSES, status_of
from tests.support import build_app, csrf_token

pytestmark = pytest.mark.app_settings(ALLOW_COMMENT_EXPORT=True)
HTMX = {"HX-Request": "true"}
# Where a person's request is refused: the models and the business packages.
BUSINESS = ("app.models", "app.crypto", "app.accounts", "app.pulse", "app.results",
            "app.board", "app.exports", "app.delivery")
# Their exceptions that are no refusal, so have no HTTP status: infrastructure failures,
# a setting read at start-up, a programming slip, private control flow.
NOT_REFUSALS = {
    "app.crypto.keys.KeyFileError", "app.crypto.blobs.BlobError",
    "app.delivery.settings.DeliverySettingsError",
    "app.delivery.transport.Unreachable", "app.delivery.transport.Refused",
    "app.delivery.mails.UnwritableAddress",  # the outbox marks that one mail failed
    "app.accounts.security_events.UnknownEvent",  # an event name the code misspelt
    "app.pulse.releases._TooFew",
}


def import_all_of_app():
    for module in pkgutil.walk_packages(heard.__path__, "app."):
        importlib.import_module(module.name)


def business_exceptions():
    """Every exception class defined in the business packages, by dotted name."""
    import_all_of_app()
    found = {}
    for name, module in list(sys.modules.items()):
        if name.startswith(tuple(f"{package}." for package in BUSINESS)):
            for cls in vars(module).values():
                if inspect.isclass(cls) and issubclass(cls, BaseException) \
                        and cls.__module__ == name:
                    found[f"{name}.{cls.__qualname__}"] = cls
    return found


def test_every_business_exception_is_a_refusal_of_one_kind_or_named_as_none():
    exceptions = business_exceptions()
    assert "app.delivery.schedules.Overlap" in exceptions  # the walk reaches them
    others = []
    for name, cls in exceptions.items():
        if not issubclass(cls, errors.HeardError):
            others.append(name)
            continue
        kinds = [kind for kind in STATUSES if issubclass(cls, kind)]
        assert len(kinds) == 1, f"{name} is of kinds {kinds}"
    assert sorted(set(others) - NOT_REFUSALS) == []


def test_every_refusal_has_a_status_and_carries_none_itself():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    import_all_of_app()  # so that every subclass is known
    refusals = list(subclasses(errors.HeardError))
    assert len(refusals) > 20  # the kinds and what the business modules name
    for cls in refusals:
        assert status_of(cls("why")) in (403, 404, 409, 422), cls
        assert not hasattr(cls, "status") and not hasattr(cls, "code"), cls


@pytest.mark.parametrize("kind, status, title", [
    (errors.Invalid, 422, "Unprocessable Entity"),
    (errors.NotFound, 404, "This page does not exist"),
    (errors.NotAllowed, 403, "Forbidden"),
    (errors.Conflict, 409, "Conflict")])
def test_a_refusal_no_view_handles_is_the_error_page_with_its_sentence(tmp_path, kind, status,
                                                                       title):
    app = build_app(tmp_path, migrate=False)

    @app.get("/refuse")
    @public
    def refuse():
        raise kind("There is a reason, in words.")

    try:
        client = app.test_client()
        page = client.get("/refuse")
        assert page.status_code == status
        html = page.get_data(as_text=True)
        assert "<html" in html and title in html and "There is a reason, in words." in html
        fragment = client.get("/refuse", headers=HTMX)
        assert fragment.status_code == status and "<html" not in fragment.get_data(as_text=True)
        assert "There is a reason, in words." in fragment.get_data(as_text=True)
    finally:
        db.close()


def post(client, path, data, page):
    return client.post(path, data={**data, "csrf_token": csrf_token(
        client.get(page).get_data(as_text=True))})


def test_resuming_a_schedule_that_now_overlaps_another_is_a_conflict(app, hr_client):
    weekly = {"survey": "weekly", "cadence": "weekly", "weekday": "0", "hour": "9", "days": "3"}
    post(hr_client, "/schedules", {**weekly, "team": "Acme"}, "/schedules")
    with app.app_context():
        first = Schedule.get()
    post(hr_client, f"/schedules/{first.id}/pause", {}, "/schedules")
    post(hr_client, "/schedules", {**weekly, "team": "Acme/Platform"}, "/schedules")
    resumed = post(hr_client, f"/schedules/{first.id}/resume", {}, "/schedules")
    assert resumed.status_code == 409
    assert "already scheduled for Acme/Platform; pause that schedule first" in \
        resumed.get_data(as_text=True)
    with app.app_context():
        assert not Schedule.get_by_id(first.id).active


def test_an_export_of_no_such_team_is_not_found_on_the_exports_page(hr_client):
    response = post(hr_client, "/exports", {"team": "Acme/Nowhere"}, "/exports")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "There is no team “Acme/Nowhere”" in html and "Export as CSV" in html


def test_a_sign_in_link_spent_elsewhere_before_it_is_confirmed_is_not_found(app, make_staff):
    with app.app_context():
        token = credentials.create_sign_in_link(make_staff("leader"), 15)
    client = app.test_client()
    client.get(f"/signin/link/{token}")  # held by this browser, not spent
    page = client.get("/signin/link").get_data(as_text=True)
    with app.app_context():
        credentials.redeem_sign_in_link(token)  # spent meanwhile, in another browser
    response = client.post("/signin/link", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 404
    assert "This sign-in link was already used" in response.get_data(as_text=True)
    assert client.get("/account").status_code != 200  # and nobody is signed in
