"""create_app(settings) -> the Flask app with every blueprint registered."""
import os

from flask import Flask, jsonify

from bot.runtime import build_runtime
from bot.web import csrf
from bot.web.dev import make_dev_blueprint
from bot.web import register as register_web
from channels.email import events as email_events
from channels.email import inbound as email_inbound
from channels.email import unsubscribe as email_unsubscribe
from channels.slack import web as slack_web
from core.db import db
from core.models import utcnow

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "templates", "web")


def create_app(settings, runtime=None):
    runtime = runtime or build_runtime(settings)
    app = Flask(__name__, template_folder=TEMPLATES)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_inbound_bytes + 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
    )
    app.extensions["donebot"] = runtime

    @app.before_request
    def open_db():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def close_db(_exc):
        if not db.is_closed():
            db.close()

    @app.errorhandler(413)
    def too_large(_error):
        return jsonify(error=f"body larger than {settings.max_inbound_bytes} bytes"), 413

    @app.get("/healthz")
    def healthz():
        db.execute_sql("SELECT 1")
        return jsonify(status="ok")

    csrf.init_app(app)
    register_web(app, settings)  # sign-in, today, digests, search, settings, team admin, export
    app.register_blueprint(
        email_inbound.make_blueprint(settings, enqueue=runtime.tasks.process_inbound, clock=utcnow)
    )
    app.register_blueprint(email_events.make_blueprint(settings))
    app.register_blueprint(email_unsubscribe.make_blueprint(settings))
    if settings.shows_outbox:
        app.register_blueprint(make_dev_blueprint(settings))
    if settings.slack_mode and settings.slack_signing_secret:  # /slack/events, /slack/install, /slack/oauth_redirect
        app.register_blueprint(slack_web.blueprint_for(settings, enqueue=runtime.tasks.process_inbound))
    return app
