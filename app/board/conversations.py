"""Public threads: a leader answers a theme in the open, people reply, HR moderates.

Who may do what:
- see a thread: anyone in its scope (their team lies in or under the thread's team),
  the leaders of teams in that scope, HR and admins;
- open a thread, edit it, change its status: a leader of the scope, or HR and admins
  for threads they opened (organisation-wide ones, typically);
- reply: anyone who may see it; employees may reply anonymously, staff sign;
- hide a reply: HR and admins, with a reason that goes to the audit log.

An anonymous reply keeps no author: its text is sealed with the round's data key and
bound to its row, its id is random, and it is dated by day only.
"""
from dataclasses import dataclass, field

from peewee import JOIN

from app import errors, text
from app.accounts import audit, scope
from app.board import plaintext
from app.crypto import blobs, keys
from app.db import db
from app.models import STATUSES, Person, Post, Thread, ThreadEvent, utcnow

STATUS_LABELS = {"acknowledged": "Acknowledged", "planned": "Planned",
                 "in_progress": "In progress", "done": "Done", "wont_do": "Won't do"}
POST_ID_HEX = 32


class ConversationError(errors.Invalid):
    """A post, reply or status that breaks a rule; the message says why."""


class NotFound(errors.NotFound):
    """No such thread or reply, as far as this person may know."""


class NotAllowed(errors.NotAllowed):
    """Someone who may read the thread but not do this to it."""


class Conflict(errors.Conflict):
    """The thread's state forbids it: a thread already there, a reply hidden.
    `thread`: the thread already there, when that is the conflict."""

    def __init__(self, message, thread=None):
        super().__init__(message)
        self.thread = thread


def _checked(body, what):
    try:
        return text.check(plaintext.clean(body, what), what)
    except (plaintext.TextProblem, text.TextProblem) as problem:
        raise ConversationError(str(problem)) from None


# -- who may do what --------------------------------------------------------------------

# Each check takes the person's scope.Viewer when the caller has one (a list of threads
# checks them all against one Viewer instead of reading the person's teams per thread).

def may_see(person, thread, viewer=None):
    if person.sees_everything:
        return True
    if scope.within(person.team, thread.team):
        return True
    return person.is_leader and (viewer or scope.Viewer(person)).may_view(thread.team)


def may_lead(person, team, viewer=None):
    """True when the person may answer for this team in public."""
    if person.sees_everything:
        return True
    return person.is_leader and (viewer or scope.Viewer(person)).may_view(team)


def may_manage(person, thread, viewer=None):
    """May edit the thread and change its status."""
    if person.is_leader:
        return may_lead(person, thread.team, viewer)
    return person.sees_everything and thread.author_id == person.id


def _require_manager(person, thread):
    if not may_manage(person, thread):
        raise NotAllowed(f"Only a leader of {thread.team.path} can change this thread.")


def _status_checked(status, reason):
    if status not in STATUSES:
        raise ConversationError("Choose a status: " + ", ".join(STATUS_LABELS.values()) + ".")
    reason = (reason or "").strip()
    if status == "wont_do":
        return _checked(reason, "The reason for “won't do”")
    return _checked(reason, "The note") if reason else ""


# -- threads ------------------------------------------------------------------------------

def thread_by_id(thread_id):
    return (Thread.select(Thread, Person).join(Person, join_type=JOIN.LEFT_OUTER,
                                                on=(Thread.author == Person.id))
            .where(Thread.id == thread_id).first())


def thread_for(round_, theme, team):
    return Thread.get_or_none(Thread.round == round_, Thread.theme == theme,
                              Thread.team == team)


def open_thread(person, round_, theme, team, body, status, reason="", now=None):
    """Answer a theme of a closed round in public for a scope; returns the thread."""
    now = now or utcnow()
    if not may_lead(person, team):
        raise NotAllowed(f"Only a leader of {team.path} can answer for it.")
    if round_.closed_at is None:
        raise ConversationError("This round is still open. Threads answer closed rounds, "
                                "whose figures are final.")
    if not scope.in_round(team, round_):
        raise NotFound(f"{team.path} was not part of the round “{round_.name}”.")
    body = _checked(body, "Your post")
    reason = _status_checked(status, reason)
    existing = thread_for(round_, theme, team)
    if existing is not None:
        raise Conflict("This theme already has a thread for this round and group.", existing)
    days = max(0, (now.date() - round_.closed_at.date()).days)
    with db.atomic():
        thread = Thread.create(round=round_, theme=theme, team=team, author=person, body=body,
                               status=status, status_reason=reason, opened_at=now,
                               response_days=days, active_on=now.date())
        ThreadEvent.create(thread=thread, at=now, person=person, kind="opened",
                           new_status=status, reason=reason)
    return thread


def _touch(thread, now, **changes):
    """Save changes every reader sees: a new revision and the day of activity."""
    changes.update(revision=Thread.revision + 1, active_on=now.date())
    Thread.update(**changes).where(Thread.id == thread.id).execute()


def edit_thread(person, thread, body, now=None):
    now = now or utcnow()
    _require_manager(person, thread)
    body = _checked(body, "Your post")
    if body == thread.body:
        raise ConversationError("The post is unchanged.")
    with db.atomic():
        _touch(thread, now, body=body)
        ThreadEvent.create(thread=thread, at=now, person=person, kind="edited")


def set_status(person, thread, status, reason="", now=None):
    now = now or utcnow()
    _require_manager(person, thread)
    reason = _status_checked(status, reason)
    if status == thread.status and reason == thread.status_reason:
        raise ConversationError(f"The status is already “{STATUS_LABELS[status]}”.")
    with db.atomic():
        _touch(thread, now, status=status, status_reason=reason)
        ThreadEvent.create(thread=thread, at=now, person=person, kind="status",
                           old_status=thread.status, new_status=status, reason=reason)


def timeline(thread):
    return list(ThreadEvent.select(ThreadEvent, Person)
                .join(Person, join_type=JOIN.LEFT_OUTER, on=(ThreadEvent.person == Person.id))
                .where(ThreadEvent.thread == thread).order_by(ThreadEvent.at, ThreadEvent.id))


# -- replies ------------------------------------------------------------------------------

def _post_place(post_id, round_id):
    return blobs.place("post", "sealed", post_id, round_id)


def post_by_hex(thread, post_hex):
    """A reply of this thread by the hex of its id, or NotFound."""
    text = (post_hex or "").strip().lower()
    if len(text) != POST_ID_HEX or any(c not in "0123456789abcdef" for c in text):
        raise NotFound("There is no such reply in this thread.")
    post = Post.get_or_none(Post.id == bytes.fromhex(text), Post.thread == thread)
    if post is None:
        raise NotFound("There is no such reply in this thread.")
    return post


def reply(person, thread, body, anonymous, parent_hex=None, now=None):
    """Add a reply (to the thread, or to one of its replies); returns the Post."""
    now = now or utcnow()
    if not may_see(person, thread):
        raise NotFound("There is no such thread.")
    if anonymous and not person.is_employee:
        raise ConversationError("Leaders and HR reply with their name.")
    body = _checked(body, "Your reply")
    parent = None
    if parent_hex:
        parent = post_by_hex(thread, parent_hex)
        if parent.hidden_reason is not None:
            raise Conflict("That reply was hidden by HR, so it cannot be answered.")
        if parent.parent_id is not None:
            parent = Post.get_by_id(parent.parent_id)  # two levels: answer its thread of replies
    with db.atomic():
        post = Post(thread=thread, parent=parent, day=now.date())
        if anonymous:
            post.sealed = keys.current().seal(thread.round.data_key_id, body.encode(),
                                              _post_place(post.id, thread.round_id))
        else:
            post.author, post.body = person, body
        post.save(force_insert=True)
        _touch(thread, now, replies=Thread.replies + 1)
    return post


def hide_post(person, thread, post_hex, reason, now=None):
    """HR hides a reply: its text is erased, the reason shows in its place, and the
    audit log records who did it and why."""
    if not person.sees_everything:
        raise NotAllowed("Only HR can hide a reply.")
    post = post_by_hex(thread, post_hex)
    if post.hidden_reason is not None:
        raise Conflict("This reply is already hidden.")
    reason = _checked(reason, "The reason")
    now = now or utcnow()
    with db.atomic():
        Post.update(hidden_reason=reason, body=None, sealed=None).where(
            Post.id == post.id).execute()
        _touch(thread, now, replies=Thread.replies - 1)
        audit.record(person, "hide_reply", f"thread {thread.id}: {thread.theme.name}, "
                     f"{thread.team.path}, {thread.round.name}", now=now,
                     reply=post.id.hex(), reason=reason)


@dataclass
class ShownPost:
    id: str                   # hex of the random id
    day: object
    author: str | None        # None: an anonymous colleague
    role: str | None          # "leader", "hr"… for staff, shown beside their name
    text: str | None          # None when hidden
    hidden_reason: str | None
    me_too: int
    helpful: int
    replies: list = field(default_factory=list)


def posts_of(thread):
    """The thread's replies, two levels deep, each level by day (and within a day in
    the order of their random ids: a reply's time is not kept)."""
    rows = (Post.select(Post, Person).join(Person, join_type=JOIN.LEFT_OUTER,
                                           on=(Post.author == Person.id))
            .where(Post.thread == thread).order_by(Post.day, Post.id))
    shown, children, keyring = [], {}, keys.current()
    for post in rows:
        text = post.body
        if post.sealed is not None:
            text = keyring.open(post.sealed, _post_place(post.id, thread.round_id)).decode()
        author = post.author if post.author_id else None
        item = ShownPost(post.id.hex(), post.day, author.name if author else None,
                         author.role if author and author.is_staff else None,
                         text, post.hidden_reason, post.me_too, post.helpful)
        if post.parent_id is None:
            shown.append(item)
        else:
            children.setdefault(bytes(post.parent_id), []).append(item)
    for item in shown:
        item.replies = children.get(bytes.fromhex(item.id), [])
    return shown
