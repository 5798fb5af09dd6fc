"""What the Procfile points at: `flask_app` for gunicorn, `huey` for huey_consumer."""
from bot.app import create_app
from bot.config import load_settings
from bot.runtime import build_runtime

settings = load_settings()
runtime = build_runtime(settings)
huey = runtime.huey
flask_app = create_app(settings, runtime)
