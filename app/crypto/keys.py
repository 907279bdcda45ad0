"""The key file, the key-encryption keys in it, and the per-round data keys they wrap.

The key file lives outside the database (HEARD_KEY_FILE). It holds one or more
key-encryption keys (KEKs) by id, which one is primary, and the link key that
personal links are derived from. A round's data key is stored only wrapped (AES key
wrap, RFC 3394) by a KEK; rotating the KEK re-wraps data keys and rewrites no data.
"""
import base64
import json
import os
import secrets
from datetime import date

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from app.crypto import blobs
from app.models import DataKey

FORMAT = "heard-keys/1"
KEY_BYTES = 32


class KeyFileError(Exception):
    """The key file is missing, unreadable, or does not open the data keys we hold."""


def _b64(raw):
    return base64.b64encode(raw).decode()


def _new_kek_id(existing=()):
    while True:
        kid = f"kek-{date.today():%Y%m%d}-{secrets.token_hex(3)}"
        if kid not in existing:
            return kid


class Keyring:
    """The loaded key file: KEKs by id, the primary one, the link key, and a cache of
    unwrapped data keys."""

    def __init__(self, keks, primary, link_key, path=None):
        if primary not in keks:
            raise KeyFileError(f"the key file's primary key {primary!r} is not in it")
        self.keks, self.primary, self.link_key, self.path = keks, primary, link_key, path
        self._data_keys = {}

    # -- the file ----------------------------------------------------------------
    @classmethod
    def generate(cls):
        kid = _new_kek_id()
        return cls({kid: os.urandom(KEY_BYTES)}, kid, os.urandom(KEY_BYTES))

    @classmethod
    def load(cls, path):
        try:
            with open(path, encoding="utf-8") as handle:
                raw = json.load(handle)
            keks = {kid: base64.b64decode(value, validate=True)
                    for kid, value in raw["keys"].items()}
            keyring = cls(keks, raw["primary"], base64.b64decode(raw["link_key"]), path)
        except FileNotFoundError:
            raise KeyFileError(f"the key file {path} does not exist") from None
        except PermissionError:
            raise KeyFileError(f"the key file {path} cannot be read (permissions)") from None
        except KeyError as error:
            raise KeyFileError(f"the key file {path} is damaged (no {error} entry)") from None
        except (ValueError, TypeError) as error:
            raise KeyFileError(f"the key file {path} is damaged ({error})") from None
        if any(len(key) != KEY_BYTES for key in keks.values()):
            raise KeyFileError(f"the key file {path} holds a key that is not 256 bits")
        return keyring

    def to_json(self):
        return json.dumps({
            "format": FORMAT,
            "primary": self.primary,
            "keys": {kid: _b64(key) for kid, key in self.keks.items()},
            "link_key": _b64(self.link_key),
        }, indent=2) + "\n"

    def write_new(self, path):
        """Create the key file, readable by its owner only; never overwrite one."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.to_json())
        self.path = path

    def replace_file(self):
        """Write this keyring over its file atomically (used by rotation)."""
        temporary = f"{self.path}.new"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    # -- data keys ---------------------------------------------------------------
    def new_data_key(self):
        """Make a fresh data key and store it wrapped by the primary KEK."""
        raw = AESGCM.generate_key(bit_length=256)
        row = DataKey.create(kek_id=self.primary,
                             wrapped=aes_key_wrap(self.keks[self.primary], raw))
        self._data_keys[row.id] = AESGCM(raw)
        return row

    def aead(self, data_key_id):
        """The AESGCM for a data key id, unwrapping it on first use."""
        if data_key_id not in self._data_keys:
            row = DataKey.get_or_none(DataKey.id == data_key_id)
            if row is None or row.wrapped is None:
                raise blobs.BlobError(f"data key {data_key_id} has been destroyed")
            self._data_keys[data_key_id] = AESGCM(self._unwrap(row))
        return self._data_keys[data_key_id]

    def _unwrap(self, row):
        kek = self.keks.get(row.kek_id)
        if kek is None:
            raise KeyFileError(
                f"data key {row.id} is wrapped by {row.kek_id!r}, which the key file "
                f"{self.path} does not hold")
        try:
            return aes_key_unwrap(kek, bytes(row.wrapped))
        except InvalidUnwrap:
            raise KeyFileError(
                f"the key file {self.path} holds {row.kek_id!r} but it does not open "
                f"data key {row.id}: wrong key file?") from None

    def check(self):
        """Unwrap every data key we hold; raise KeyFileError on the first that fails.

        Returns how many data keys were checked.
        """
        rows = list(DataKey.select().where(DataKey.wrapped.is_null(False)))
        for row in rows:
            self._unwrap(row)
        return len(rows)

    def rotate(self):
        """Make a new primary KEK and re-wrap every data key with it. Returns its id.

        The key file is rewritten first, still holding the old KEKs, and only then
        are the data keys re-wrapped in one transaction: whichever step fails, the
        file opens every data key the database holds.
        """
        kid = _new_kek_id(self.keks)
        self.keks[kid] = os.urandom(KEY_BYTES)
        self.primary = kid
        self.replace_file()
        with DataKey._meta.database.atomic():
            for row in DataKey.select().where(DataKey.wrapped.is_null(False)):
                raw = self._unwrap(row)
                row.wrapped, row.kek_id = aes_key_wrap(self.keks[kid], raw), kid
                row.save()
        return kid

    # -- sealing -----------------------------------------------------------------
    def seal(self, data_key_id, plaintext, associated_data):
        return blobs.seal(self.aead(data_key_id), data_key_id, plaintext, associated_data)

    def open(self, blob, associated_data):
        return blobs.open_blob(self.aead(blobs.key_id_of(blob)), blob, associated_data)


def destroy_data_key(data_key):
    """Crypto-shred: forget a data key, making every blob sealed with it unreadable."""
    DataKey.update(wrapped=None).where(DataKey.id == data_key.id).execute()


class _Current:
    """The keyring of the running app, installed by create_app (like the db proxy).

    The one way to reach it: the function that seals or opens calls current(), and no
    caller passes a keyring along. Opening a round, releasing a batch, a second factor,
    a reply and an export all need it, several calls deep; threading it through every
    caller would add a parameter everywhere and let none choose another keyring.
    """
    keyring = None


def install(keyring):
    _Current.keyring = keyring


def current():
    if _Current.keyring is None:
        raise KeyFileError("no key file is loaded (create_app loads it)")
    return _Current.keyring
