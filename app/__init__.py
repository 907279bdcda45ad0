"""Heard: the application factory."""
import os
import secrets
import sys

from flask import Flask
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config, db_files, logs, models
from app.crypto import keys
from app.db import DatabaseURLError, database_from_url, db
from app.delivery import settings as delivery_settings
from app.results import aggregates
from app.thresholds import Thresholds
from app.views import assets, guards, register_blueprints, security_headers

MAX_BODY_BYTES = 64 * 1024  # a pulse with every comment full is ~10 kB; more is abuse
csrf = CSRFProtect()
htmx = HTMX()


class StartupError(Exception):
    """Heard refuses to start; the message says why and what to do."""


def create_app(test_config=None):
    """Build the Flask app: config, database, keys, blueprints, CLI."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.from_mapping(config.DEFAULTS, MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
                            MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
                            WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_SSL_STRICT=False,
                            SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.config.from_prefixed_env("HEARD")
    if test_config:
        app.config.from_mapping(test_config)
    _load_settings(app.config)
    _fill_instance_defaults(app)
    app.extensions["heard_thresholds"] = Thresholds.from_config(app.config)
    app.extensions["heard_delivery"] = _check_delivery(app)
    _bind_database(app)
    _load_keyring(app)

    guards.init_app(app)  # before CSRF, which reads the form first
    csrf.init_app(app)
    htmx.init_app(app)
    if app.config["TRUST_PROXY"]:
        count = app.config["TRUST_PROXY"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    from app import cli  # here, not above: the CLI builds its apps with create_app
    assets.init_app(app)
    security_headers.init_app(app)
    register_blueprints(app)
    logs.init_app(app)  # after the routes: it redacts those that carry a secret
    cli.init_app(app)
    return app


def _fill_instance_defaults(app):
    """Point unset paths at instance/ and make a session secret on first run."""
    if not all(app.config[name] for name in ("DATABASE_URL", "KEY_FILE", "SECRET_KEY")):
        os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "heard.db")
    if not app.config["KEY_FILE"]:
        app.config["KEY_FILE"] = os.path.join(app.instance_path, "heard.keys")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _read_or_create_secret(
            os.path.join(app.instance_path, "secret_key"))
    if not app.config["SURVEYS_DIR"]:
        app.config["SURVEYS_DIR"] = os.path.join(os.path.dirname(app.root_path), "surveys")


def _read_or_create_secret(path):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        secret = secrets.token_urlsafe(48)
        handle.write(secret)
    return secret


def _load_settings(settings):
    """Every HEARD_ setting typed in one pass (app.config.load); a bad one stops start-up."""
    try:
        config.load(settings)
    except config.SettingError as error:
        raise StartupError(str(error)) from None


def _check_delivery(app):
    try:
        return delivery_settings.from_config(app.config, app.instance_path)
    except delivery_settings.DeliverySettingsError as error:
        raise StartupError(str(error)) from None


def _bind_database(app):
    try:
        database = database_from_url(app.config["DATABASE_URL"])
    except DatabaseURLError as error:
        raise StartupError(str(error)) from None
    db_files.private_database_files(database)  # 0600 before SQLite first opens it
    if db.obj is not None:  # a second app in one process (tests, tools): let go of the first
        db.obj.close()
    # peewee connects on the first query and keeps that connection for the worker
    # thread: nothing closes it per request, since closing SQLite's last connection
    # checkpoints and deletes the WAL every time (about 4x slower per submission).
    db.initialize(database)
    models.bind_storage_options(database)
    # Figures cached per round id belong to the database bound before (round 1 of one
    # database is not round 1 of the next).
    aggregates.forget_cached_facts()


def _load_keyring(app):
    path = app.config["KEY_FILE"]
    wrapped_keys = _count_wrapped_keys()
    try:
        keyring = keys.Keyring.load(path)
    except keys.KeyFileError as error:
        if os.path.exists(path) or wrapped_keys:
            raise StartupError(
                f"{error}. The database holds {wrapped_keys} wrapped data key(s) that only "
                f"the right key file opens. Restore it (HEARD_KEY_FILE) from your backup; "
                f"Heard never makes a new key over existing data.") from None
        keyring = _create_key_file(path)
    try:
        if wrapped_keys:
            keyring.check()
    except keys.KeyFileError as error:
        raise StartupError(f"{error}. Point HEARD_KEY_FILE at the right key file.") from None
    keys.install(keyring)


def _count_wrapped_keys():
    if not db.table_exists(models.DataKey._meta.table_name):
        return 0
    return models.DataKey.select().where(models.DataKey.wrapped.is_null(False)).count()


def _create_key_file(path):
    keyring = keys.Keyring.generate()
    try:
        keyring.write_new(path)
    except FileExistsError:  # another worker made it a moment ago
        return keys.Keyring.load(path)
    print(f"\n*** Heard created a new key file at {path} ***\n"
          "*** Every answer is encrypted with keys kept in it. Back it up now, apart\n"
          "*** from the database: without it, stored answers cannot be read.\n",
          file=sys.stderr)
    return keyring
