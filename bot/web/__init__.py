"""The web UI blueprints."""
