"""The base model and the field types shared by several tables."""
import os
from datetime import UTC, datetime

from peewee import BlobField, Model

from app.db import db


def utcnow():
    """The current time in UTC, naive, as every datetime column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def random_id():
    """A random 128-bit id: no order, no time, nothing to sort answers by."""
    return os.urandom(16)


class RandomIdField(BlobField):
    """Primary key of an anonymous row: 16 random bytes, never a counter."""

    def __init__(self, **kwargs):
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("default", random_id)
        super().__init__(**kwargs)

    def python_value(self, value):
        # psycopg returns bytea as memoryview; compare and hash as bytes everywhere.
        return bytes(value) if value is not None else None


class SealedField(BlobField):
    """An AES-256-GCM blob (see app.crypto.blobs); never plain text."""

    def python_value(self, value):
        return bytes(value) if value is not None else None


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False
