"""The manifest a user pastes into Slack asks for what the code uses."""
import re

from channels.slack.app import BOT_SCOPES
from tests.conftest import ROOT

MANIFEST = (ROOT / "channels" / "slack" / "manifest.yml").read_text()


def test_manifest_matches_the_code():
    for scope in BOT_SCOPES:
        assert f"- {scope}\n" in MANIFEST, scope
    for event in ("message.im", "app_home_opened", "app_uninstalled", "tokens_revoked"):
        assert f"- {event}\n" in MANIFEST, event
    assert re.findall(r"command: (/\w+)", MANIFEST) == ["/done", "/digest"]
    assert MANIFEST.count("/slack/events") == 4 and "/slack/oauth_redirect" in MANIFEST
    assert "home_tab_enabled: true" in MANIFEST and "is_enabled: true" in MANIFEST
