"""The public board: threads, replies, reactions, statuses and moderation.

Every form works as a plain POST (post/redirect/get) and, with htmx, updates in
place: a reply re-renders the list of replies, a reaction its own buttons. Errors
come back as the same form with the message and status 422 (409 for a repeat).
"""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts import credentials
from app.board import conversations, listing, plaintext, reactions
from app.board.conversations import ConversationError
from app.models import STATUSES, Theme
from app.models.org import EVERYTHING_ROLES, ROLE_LABELS
from app.results import dashboard
from app.views.access import member, staff
from app.views.dashboard import VIEWERS, chosen_view
from app.views.errors import status_of
from app.views.extensions import thresholds
from app.views.forms.board import EditForm, HideForm, ReactForm, ReplyForm, StatusForm, ThreadForm
from app.views.limits import limit_anonymous_replies
from app.views.params import query_key, use_converters
from app.views.rendering import fragment_elsewhere, render, render_with_oob

bp = Blueprint("board", __name__)
use_converters(bp)


def _person():
    return current_user.person


def _thread(thread_id):
    thread = conversations.thread_by_id(thread_id)
    if thread is None or not conversations.may_see(_person(), thread):
        abort(404, "There is no such thread on your board.")
    return thread


def _validated(form):
    """The form, once its fields hold only text that can be stored; otherwise a
    ConversationError (422) with the field's sentence."""
    if not form.validate():
        raise ConversationError(next(iter(form.errors.values()))[0])
    return form


def _key():
    """Today's reaction key. Each day's first board page also forgets the day before:
    its reaction marks and secret, and the sign-in links used on it."""
    credentials.forget_used_links()
    return reactions.mark_key()


@bp.get("/board")
@member()
def index():
    status, theme_key = query_key("status"), query_key("theme")
    if status is not None and status not in STATUSES:
        abort(404, "There is no such status. Choose one from the list.")
    if theme_key is not None and Theme.get_or_none(Theme.key == theme_key) is None:
        abort(404, "There is no theme by that name.")
    every = listing.visible_threads(_person())
    threads = [t for t in every if status in (None, t.status)
               and theme_key in (None, t.theme_id)]
    return render_template("board/index.html", threads=threads, status=status,
                           theme_key=theme_key, themes=Theme.select().order_by(Theme.name),
                           times=listing.response_times(every),
                           given=reactions.given(_person(), [f"t{t.id}" for t in threads],
                                                 _key()))


def _post_items(posts):
    """The reaction items of every reply shown (both levels)."""
    return [f"p{post.id}" for top in posts for post in [top, *top.replies]]


def _thread_page(thread, status=200, **forms):
    posts = conversations.posts_of(thread)
    items = [f"t{thread.id}"] + _post_items(posts)
    context = dict(reply_form=ReplyForm(formdata=None), status_form=StatusForm(formdata=None),
                   edit_form=EditForm(formdata=None, body=thread.body),
                   hide_form=HideForm(formdata=None), errors={})
    context.update(forms)
    return render_template(
        "board/thread.html", thread=thread, posts=posts,
        summary=listing.summary(thread, thresholds()),
        timeline=conversations.timeline(thread),
        may_manage=conversations.may_manage(_person(), thread),
        given=reactions.given(_person(), items, _key()), **context), status


@bp.get("/board/<id:thread_id>")
@member()
def thread(thread_id):
    return _thread_page(_thread(thread_id))


def _replies(thread, status=200, oob=None):
    posts = conversations.posts_of(thread)
    items = _post_items(posts)
    return render_with_oob("board/partials/replies.html", oob, status, thread=thread,
                           posts=posts, given=reactions.given(_person(), items, _key()),
                           reply_form=ReplyForm(formdata=None),
                           hide_form=HideForm(formdata=None), errors={})


@bp.get("/board/<id:thread_id>/replies")
@member()
def replies(thread_id):
    """The replies, for polling: 204 (nothing to do) while the thread is unchanged."""
    thread = _thread(thread_id)
    if request.args.get("v") == str(thread.revision):
        return "", 204
    return _replies(thread)


@bp.post("/board/<id:thread_id>/replies")
@member()
@limit_anonymous_replies
def post_reply(thread_id):
    thread = _thread(thread_id)
    form = ReplyForm()
    parent = form.parent.data or None
    try:
        _validated(form)
        post = conversations.reply(_person(), thread, form.body.data,
                                   form.identity.data == "anonymous", parent_hex=parent)
    except ConversationError as error:  # beside the form; no such reply, or a hidden one,
        # has nothing to fix there and reaches the error page (app.views.errors)
        if form.parent.errors:  # not a reply's id at all: as for an unknown one
            abort(404, "There is no such reply in this thread.")
        if current_app.htmx:
            return fragment_elsewhere("board/partials/reply_form.html", _form_id(parent),
                                      status_of(error), form=form, parent=parent,
                                      thread=thread, error=str(error))
        return _thread_page(thread, status_of(error), reply_form=form,
                            errors={parent or "thread": str(error)})
    if current_app.htmx:
        fresh = render_template("board/partials/reply_form.html", form=ReplyForm(formdata=None),
                                parent=parent, thread=thread, oob=True)
        return _replies(conversations.thread_by_id(thread.id), oob=fresh)
    return redirect(url_for("board.thread", thread_id=thread.id, _anchor=f"p-{post.id.hex()}"),
                    303)


def _form_id(parent):
    return f"#reply-to-{parent}" if parent else "#reply-form"


@bp.post("/board/<id:thread_id>/react")
@member()
def react(thread_id):
    thread = _thread(thread_id)
    form = ReactForm()
    target, error, status = thread, None, 200
    try:
        _validated(form)
        if form.target.data != "thread":
            target = conversations.post_by_hex(thread, form.target.data)
        reactions.react(_person(), target, form.kind.data, _key(), thread)
    except (ConversationError, reactions.ReactionError, reactions.AlreadyReacted) as problem:
        if not current_app.htmx:
            raise  # the error page says why
        error, status = str(problem), status_of(problem)  # beside the buttons
    if not current_app.htmx:
        return redirect(url_for("board.thread", thread_id=thread.id,
                                _anchor=f"react-{reactions.item_of(target)}"), 303)
    item = reactions.item_of(target)
    return render("board/partials/reactions.html", "board/partials/reactions.html", status,
                  thread=thread, item=item, counts=target,
                  given=reactions.given(_person(), [item], _key()), error=error)


def _manage(thread_id, action, form_class, form_name):
    thread = _thread(thread_id)
    form = form_class()
    try:
        action(thread, _validated(form))
    except (ConversationError, conversations.Conflict) as error:  # beside the form
        return _thread_page(thread, status_of(error), **{form_name: form},
                            errors={form_name: str(error)})
    return redirect(url_for("board.thread", thread_id=thread.id), 303)


@bp.post("/board/<id:thread_id>/status")
@member()
def change_status(thread_id):
    return _manage(thread_id, lambda thread, form: conversations.set_status(
        _person(), thread, form.status.data, form.reason.data), StatusForm, "status_form")


@bp.post("/board/<id:thread_id>/edit")
@member()
def edit(thread_id):
    return _manage(thread_id, lambda thread, form: conversations.edit_thread(
        _person(), thread, form.body.data), EditForm, "edit_form")


@bp.post("/board/<id:thread_id>/hide")
@staff(*EVERYTHING_ROLES)
def hide(thread_id):
    return _manage(thread_id, lambda thread, form: conversations.hide_post(
        _person(), thread, form.post.data, form.reason.data), HideForm, "hide_form")


@bp.route("/board/new", methods=["GET", "POST"])
@staff(*VIEWERS)
def new_thread():
    """A leader answers a theme of a round for a group (from the theme page)."""
    view, _rounds = chosen_view()
    theme_key = query_key("theme")
    theme = Theme.get_or_none(Theme.key == theme_key) if theme_key else None
    if view is None or theme is None:
        abort(404, "Choose a theme of a closed round from the themes page first.")
    existing = conversations.thread_for(view.round, theme, view.scope)
    if existing is not None:
        return redirect(url_for("board.thread", thread_id=existing.id), 303)
    form, error = ThreadForm(), None
    if request.method == "POST":
        try:
            _validated(form)
            created = conversations.open_thread(_person(), view.round, theme, view.scope,
                                                form.body.data, form.status.data,
                                                form.reason.data)
            return redirect(url_for("board.thread", thread_id=created.id), 303)
        except (ConversationError, conversations.Conflict) as problem:
            error = str(problem)  # beside the form, a thread opened meanwhile included
    entry = next((e for e in view.themes if e.theme.key == theme.key), None)
    card = dashboard.theme_card(view, entry) if entry else None
    return render_template("board/new.html", view=view, theme=theme, form=form, error=error,
                           card=card), 422 if error else 200


def days(value):
    """'same day', '1 day', '2.5 days'."""
    if value == 0:
        return "the same day"
    text = f"{value:g}"
    return f"{text} day" if value == 1 else f"{text} days"


def init_app(app):
    app.jinja_env.filters.update(
        status_label=conversations.STATUS_LABELS.get, plain=plaintext.render, days=days,
        role_label=ROLE_LABELS.get,
        short_day=lambda moment: f"{moment:%-d %b %Y}")
    app.jinja_env.globals.update(
        status_labels=conversations.STATUS_LABELS, reaction_labels=reactions.REACTIONS,
        max_post=plaintext.MAX_CHARS,
        thread_href=lambda thread: url_for("board.thread", thread_id=thread.id))
