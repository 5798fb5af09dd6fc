"""The web UI: one blueprint per page family, registered by register()."""
from bot.web import admin, archive, auth, export, search, settings as settings_page, today
from bot.web.pages import make_pages_blueprint


def register(app, settings):
    app.register_blueprint(make_pages_blueprint(settings))
    for module in (auth, today, archive, search, settings_page, admin, export):
        app.register_blueprint(module.make_blueprint(settings))
