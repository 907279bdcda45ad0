"""Heard's data: organisation, surveys, rounds, and the anonymous answer tables."""
from peewee import SqliteDatabase

from app.models.accounts import BrowserSession, RecoveryCode, SignInLink
from app.models.answers import (
    ANONYMOUS_MODELS, AnswerCount, Comment, CommentTheme, PendingAnswer, Response, RoundSnapshot,
    TeamTally)
from app.models.base import BaseModel, random_id, utcnow
from app.models.board import (
    STATUSES, UNORDERED_BOARD_MODELS, AuditEntry, Post, ReactionKey, ReactionMark, Thread,
    ThreadEvent)
from app.models.delivery import MailBounce, OpenLink, OutboxMail, Schedule
from app.models.org import Person, Team, TeamLead
from app.models.rounds import (
    DataKey, Invitation, Participation, Round, invitation_by_id, invitation_by_token_hash)
from app.models.surveys import Question, Survey, Theme, forget_cached_questions

ALL_MODELS = (
    Team, Person, TeamLead, Theme, Survey, Question, DataKey, Round, Invitation,
    Participation, PendingAnswer, Response, Comment, AnswerCount, TeamTally, CommentTheme,
    SignInLink, RecoveryCode, RoundSnapshot, Thread, ThreadEvent, Post, ReactionMark,
    ReactionKey, AuditEntry, Schedule, OpenLink, OutboxMail, MailBounce, BrowserSession,
)

__all__ = [model.__name__ for model in ALL_MODELS] + [
    "ALL_MODELS", "ANONYMOUS_MODELS", "BaseModel", "STATUSES", "invitation_by_id",
    "invitation_by_token_hash",
    "random_id", "utcnow"]


def bind_storage_options(database):
    """Set options that depend on the database engine before any table is made.

    On SQLite the anonymous tables and participation are WITHOUT ROWID, so storage
    order follows their random or composite key instead of the order of arrival.
    PostgreSQL has no such option; there, batches are shuffled before insertion.
    """
    forget_cached_questions()  # they belong to the database bound before
    for model in UNORDERED_MODELS:
        model._meta.without_rowid = isinstance(database, SqliteDatabase)


UNORDERED_MODELS = ANONYMOUS_MODELS + (Participation, BrowserSession) + UNORDERED_BOARD_MODELS
