"""A believable demo company, written through the real functions (so it is encrypted).

Lumen, 60 people in 9 teams: three closed weekly rounds with answers and comments,
and one open round in which about a third have answered.
"""
import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from app.accounts import credentials
from app.accounts.roster import import_roster
from app.board import conversations, reactions
from app.delivery import schedules
from app.models import Invitation, OpenLink, Participation, Person, Round, Team, Theme, utcnow
from app.models.org import EMPLOYEE, HR, LEADER
from app.pulse import answering, open_links, rounds, surveys

COMPANY = "Lumen"
# team path -> (headcount, typical score per theme: the team's "story")
TEAMS = {
    "Engineering/Platform": (12, {"workload": 2.4, "wellbeing": 2.6, "peers": 4.3}),
    "Engineering/Mobile": (10, {"recognition": 4.1, "growth": 4.0}),
    "Engineering/Data": (6, {"communication": 2.7, "purpose": 3.2}),
    "Product/Design": (7, {"recognition": 2.8, "autonomy": 4.2}),
    "Product/Management": (5, {"workload": 2.9}),
    "Customer Success": (9, {"recognition": 2.5, "wellbeing": 2.7, "peers": 4.4}),
    "Operations/Finance": (5, {"communication": 3.0}),
    "Operations/People": (3, {}),
}
LEADERS = [  # (name, team path, leads, role)
    ("Priya Nair", "Engineering", "Engineering", LEADER),
    ("Tomás Ortega", "Product", "Product", LEADER),
    ("Grace Okafor", "Customer Success", "Customer Success", LEADER),
]
HR_PERSON = ("Hannah Weber", "Operations/People", "", HR)
FIRST = ("Alex Sam Jordan Maya Leo Noor Ines Kai Yuki Omar Lena Ravi Sofia Jonas Amara Theo "
         "Zoe Mateo Aisha Finn Clara Ivan Mina Oscar Priyanka Rosa Sven Tara Umar Vera Wen "
         "Elif Hugo Lucia Nico Asha Bruno Dana Emil Farah").split()
LAST = ("Berg Costa Diaz Evans Fischer Garcia Haddad Ito Jensen Kowalski Larsen Moreau Novak "
        "Okoye Park Quinn Rossi Silva Tanaka Umarov Vargas Weiss Xu Young Zimmer").split()
BASE_SCORE = 3.7
COMMENTS = {
    "workload": ["Too many parallel projects this sprint; we keep context switching.",
                 "On-call plus the migration deadline meant a lot of evenings this week.",
                 "Workload was fine this week, the planning session helped."],
    "recognition": ["The release went out smoothly and nobody said anything about it.",
                    "Thanks to the team for covering while I was out, that meant a lot.",
                    "It would be nice if customer praise reached the people who did the work."],
    "growth": ["I'd love a clearer career path for senior ICs.",
               "The training budget is great, but there is no time to use it."],
    "manager": ["My 1:1s keep getting cancelled.", "My manager really has my back lately."],
    "peers": ["Great collaboration with the data team on the new reports.",
              "Handovers between teams are still rough."],
    "purpose": ["I don't see how our roadmap connects to the strategy.",
                "Hearing directly from customers at the all-hands was motivating."],
    "communication": ["We learned about the reorg from a calendar invite. Please tell us first.",
                      "Priorities change weekly and nobody explains why."],
    "wellbeing": ["Feeling close to burnout after this quarter.",
                  "The no-meeting Friday has been great for my stress levels."],
    "autonomy": ["Every small decision needs three approvals.",
                 "I appreciate being trusted to pick my own approach."],
    "environment": ["The office wifi drops every afternoon.", "My laptop is five years old."],
}


def database_is_empty():
    return not Person.select().exists()


def load_demo(surveys_dir, min_group, now=None, seed=7, timezone=None):
    """Load the demo company, its surveys and four rounds of answers."""
    now = now or utcnow()
    rng = random.Random(seed)
    surveys.sync_surveys(surveys_dir)
    import_roster(_roster_csv(rng))
    for weeks_ago in (4, 3, 2):
        opened = now - timedelta(weeks=weeks_ago)
        round_ = rounds.open_round("weekly", COMPANY, 5, min_group, now=opened)
        _answer(round_, rng, share=rng.uniform(0.74, 0.9), min_group=min_group,
                drift=(4 - weeks_ago) * 0.12, when=opened + timedelta(hours=2))
        rounds.close_round(round_, min_group, now=round_.closes_at)
    _answer_in_public(Round.get_by_id(round_.id), rng, now - timedelta(days=2))
    current = rounds.open_round("weekly", COMPANY, 7, min_group, now=now - timedelta(days=1))
    _answer(current, rng, share=0.34, min_group=min_group, drift=0.4,
            when=now - timedelta(hours=20))
    _schedule_and_poster(timezone or ZoneInfo("UTC"), now)
    return current


def _schedule_and_poster(timezone, now):
    """A monthly check-in HR scheduled, and a QR poster for Operations."""
    hannah = Person.get(Person.name == HR_PERSON[0])
    schedules.create("monthly", COMPANY, "monthly", 1, 9, 7, hannah, timezone, now=now)
    open_links.create(f"{COMPANY}/Operations", "Pulse for Operations", hannah, now=now)


def poster_line(urls):
    """`poster: <url>`: the demo's open link, as its QR code encodes it."""
    link = OpenLink.select().where(OpenLink.revoked_at.is_null()).order_by(OpenLink.id).first()
    return [f"poster: {urls.open_link(link)}"] if link else []


def _answer_in_public(round_, rng, when):
    """Two public threads on the latest closed round, with replies and reactions."""
    priya = Person.get(Person.name == LEADERS[0][0])
    hannah = Person.get(Person.name == HR_PERSON[0])
    engineering = Team.by_path(f"{COMPANY}/Engineering")
    workload = conversations.open_thread(
        priya, round_, Theme.get_by_id("workload"), engineering,
        "Thank you for being so direct about workload. Three things will change:\n"
        "1. The data migration moves out by two weeks.\n"
        "2. On-call weeks carry no sprint commitments.\n"
        "3. We review this again after the next pulse.", "planned", now=when)
    communication = conversations.open_thread(
        hannah, round_, Theme.get_by_id("communication"), Team.by_path(COMPANY),
        "You told us you heard about the reorg from a calendar invite. That was wrong. From "
        "now on, changes to teams are announced at the all-hands first, with time for "
        "questions.", "acknowledged", now=when + timedelta(hours=2))
    engineers = list(Person.select().join(Team).where(Person.role == EMPLOYEE,
                                                      Team.path.startswith(engineering.path)))
    replies = [("Thank you. The on-call change alone will make a big difference.", True),
               ("Could the migration date be shared on the team page?", False),
               ("Appreciated. Let's see how the next sprint goes.", True)]
    key = reactions.mark_key()
    for (text, anonymous), person in zip(replies, rng.sample(engineers, len(replies))):
        conversations.reply(person, workload, text, anonymous, now=when)
    first = conversations.posts_of(workload)[0]
    conversations.reply(priya, workload, "Yes: it is on the Engineering page now.", False,
                        parent_hex=first.id, now=when)
    conversations.set_status(priya, conversations.thread_by_id(workload.id), "in_progress",
                             now=when + timedelta(hours=20))
    for person in rng.sample(engineers, 6):
        reactions.react(person, workload, "me_too", key, workload)
    for person in rng.sample(engineers, 3):
        reactions.react(person, communication, "helpful", key, communication)


def board_sign_in_line(urls):
    """`board: <url>`: a one-time link that signs a demo employee in to the board."""
    person = (Person.select().where(Person.role == EMPLOYEE, Person.active == True)  # noqa: E712
              .order_by(Person.email).first())
    if person is None:
        return []
    token = credentials.create_sign_in_link(person, STAFF_LINK_MINUTES,
                                            longest=STAFF_LINK_MINUTES)
    return [f"board: {urls.sign_in(token)}"]


def _roster_csv(rng):
    lines = ["email,name,team,role,leads"]
    names = iter(rng.sample([f"{first} {last}" for first in FIRST for last in LAST], 80))
    for name, team, leads, role in LEADERS + [HR_PERSON]:
        lines.append(_roster_line(name, team, role, leads))
    for team, (headcount, _story) in TEAMS.items():
        for _ in range(headcount):
            lines.append(_roster_line(next(names), team, EMPLOYEE, ""))
    return "\n".join(lines) + "\n"


def _roster_line(name, team, role, leads):
    email = name.lower().replace(" ", ".").replace("á", "a") + "@lumen.example"
    path = f"{COMPANY}/{team}"
    leads = f"{COMPANY}/{leads}" if leads else ""
    return f"{email},{name},{path},{role},{leads}"


def _answer(round_, rng, share, min_group, drift, when):
    questions = list(round_.survey.current_questions())
    invitations = list(Invitation.select(Invitation, Person).join(Person)
                       .where(Invitation.round == round_))
    for invitation in rng.sample(invitations, round(len(invitations) * share)):
        story = TEAMS.get(invitation.team.path.removeprefix(COMPANY + "/"), (0, {}))[1]
        scores, comments = {}, {}
        for question in questions:
            if question.kind == "text":
                low = min(story, key=story.get) if story else rng.choice(list(COMMENTS))
                if rng.random() < 0.35:
                    comments[question.key] = rng.choice(COMMENTS[low if rng.random() < .6
                                                                 else rng.choice(list(COMMENTS))])
                continue
            scores[question.key] = _score(question, story, drift, rng)
        answering.record_answers(invitation, scores, comments, signed=rng.random() < 0.1,
                                 batch_size=min_group, now=when)


def _score(question, story, drift, rng):
    typical = story.get(question.theme_id, BASE_SCORE)
    if typical < 3.2:
        typical += drift  # weak spots improve round by round: leaders acted on them
    if question.kind == "enps":
        return max(0, min(10, round(rng.gauss(typical * 2.2 - 1, 2))))
    if question.kind == "choice":
        return rng.randrange(len(question.choices))
    return max(1, min(5, round(rng.gauss(typical, 0.9))))


def sign_in_lines(urls, now=None):
    """`employee: <url>` for a demo employee who has not answered the open round."""
    round_ = Round.open_at(now).order_by(Round.opens_at.desc()).first()
    if round_ is None:
        return ["no round is open; open one with 'flask rounds open weekly --team Lumen'"]
    answered = Participation.select(Participation.person).where(Participation.round == round_)
    invitation = (Invitation.select().join(Person)
                  .where(Invitation.round == round_, Invitation.person.not_in(answered),
                         Person.role == EMPLOYEE)
                  .order_by(Person.email).first())
    if invitation is None:
        return ["everyone has answered the open round"]
    return [f"employee: {urls.personal(invitation)}"]


STAFF_LINK_MINUTES = 24 * 60  # the demo's links last a day, so a newcomer can come back


def staff_sign_in_lines(urls):
    """`leader: <url>` and `hr: <url>`: one-time sign-in links for a demo leader and
    the demo HR person, valid 24 hours."""
    lines = []
    for label, (name, *_rest) in ((LEADER, LEADERS[0]), (HR, HR_PERSON)):
        person = Person.get_or_none(Person.name == name)
        if person is None or not credentials.can_sign_in(person):
            continue
        token = credentials.create_sign_in_link(person, STAFF_LINK_MINUTES,
                                                longest=STAFF_LINK_MINUTES)
        lines.append(f"{label}: {urls.sign_in(token)}")
    return lines
