"""HR schedules recurring pulses on the Schedules page."""
import pytest

from app.models import AuditEntry, Schedule
from tests.support import csrf_token

pytestmark = pytest.mark.app_settings(TIMEZONE="Europe/Paris")

GOOD = {"survey": "weekly", "team": "Acme", "cadence": "weekly", "weekday": "0",
        "day_of_month": "1", "hour": "9", "days": "3"}


def post(client, path, data):
    page = client.get("/schedules").get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_token(page)})


def test_hr_schedules_a_weekly_pulse_and_sees_when_it_opens(app, hr_client):
    response = post(hr_client, "/schedules", GOOD)
    assert response.status_code == 303
    page = hr_client.get("/schedules").get_data(as_text=True)
    assert "Every Monday at 09:00" in page and "Europe/Paris" in page
    assert "Monday" in page and ("CET" in page or "CEST" in page)  # next opening, local
    with app.app_context():
        schedule = Schedule.get()
        assert (schedule.survey_id, schedule.team.path, schedule.days) == ("weekly", "Acme", 3)
        assert AuditEntry.get().action == "schedule pulse"


def test_a_monthly_schedule_takes_the_day_of_the_month(app, hr_client):
    post(hr_client, "/schedules", {**GOOD, "cadence": "monthly", "day_of_month": "15",
                                   "days": "10"})
    assert "On the 15th of every month at 09:00" in hr_client.get("/schedules").get_data(True)


@pytest.mark.parametrize(("change", "message"), [
    ({"survey": "nope"}, "Choose one of the surveys"),
    ({"survey": "week\0ly"}, "Choose one of the surveys"),
    ({"team": "Acme/Nowhere"}, "Choose one of the teams"),
    ({"cadence": "hourly"}, "The cadence must be one of"),
    ({"hour": "25"}, "The hour must be from 0 to 23"),
    ({"hour": ""}, "The hour must be from 0 to 23"),
    ({"days": "30"}, "A weekly round lasts 1 to 7 days"),
    ({"cadence": "monthly", "day_of_month": "30"}, "from 1 to 28"),
    ({"weekday": "Monday"}, "Choose a day of the week"),
    # Typed by the form in ASCII digits only: int() would take each of these.
    ({"hour": "٣"}, "The hour must be from 0 to 23"),
    ({"hour": "1_0"}, "The hour must be from 0 to 23"),
    ({"days": "３"}, "A weekly round lasts 1 to 7 days"),
    ({"weekday": "²"}, "Choose a day of the week"),
    ({"hour": "9" * 40}, "The hour must be from 0 to 23"),
])
def test_a_bad_schedule_comes_back_with_a_sentence_and_saves_nothing(app, hr_client, change,
                                                                     message):
    response = post(hr_client, "/schedules", {**GOOD, **change})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert Schedule.select().count() == 0


def test_a_mistyped_number_comes_back_as_typed_to_be_fixed(hr_client):
    html = post(hr_client, "/schedules", {**GOOD, "hour": "9am"}).get_data(as_text=True)
    assert 'value="9am"' in html and 'value="9"' not in html.split('name="hour"')[1][:80]


def test_pause_resume_and_delete(app, hr_client):
    post(hr_client, "/schedules", GOOD)
    with app.app_context():
        schedule_id = Schedule.get().id
    assert post(hr_client, f"/schedules/{schedule_id}/pause", {}).status_code == 303
    with app.app_context():
        assert not Schedule.get().active and Schedule.get().next_open_at is None
    assert "paused" in hr_client.get("/schedules").get_data(as_text=True)
    assert post(hr_client, f"/schedules/{schedule_id}/resume", {}).status_code == 303
    with app.app_context():
        assert Schedule.get().active and Schedule.get().next_open_at is not None
    assert post(hr_client, f"/schedules/{schedule_id}/delete", {}).status_code == 303
    with app.app_context():
        assert Schedule.select().count() == 0
        assert [e.action for e in AuditEntry.select().order_by(AuditEntry.id)] == [
            "schedule pulse", "pause schedule", "resume schedule", "delete schedule"]
    assert post(hr_client, f"/schedules/{schedule_id}/pause", {}).status_code == 404


def test_changes_need_the_csrf_token(app, hr_client):
    assert hr_client.post("/schedules", data=GOOD).status_code == 400
    with app.app_context():
        assert Schedule.select().count() == 0
