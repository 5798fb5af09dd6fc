"""Multi-workspace installs: OAuth with installation and state stores in donebot's database,
then events from the installed workspace, then uninstalling."""
import re

import pytest

from channels.slack.models import SlackBot, SlackInstallation, SlackOAuthState, SlackWorkspace
from core.models import Entry
from tests.conftest import with_settings
from tests.slack.conftest import SIGNING_SECRET, SlackRequests

TEAM = "T0NEW"
TOKEN = "xoxb-new-workspace"


@pytest.fixture
def web(runtime, settings, fake_slack):
    from bot.app import create_app
    from bot.runtime import build_runtime

    oauth = with_settings(settings, slack_bot_token="", slack_client_id=fake_slack.client_id,
                          slack_client_secret=fake_slack.client_secret, slack_signing_secret=SIGNING_SECRET)
    rt = build_runtime(oauth)
    return create_app(oauth, rt).test_client()


def install(web, fake_slack, code="code-1"):
    page = web.get("/slack/install")
    assert page.status_code == 200
    state = re.search(r"state=([A-Za-z0-9_\-]+)", page.get_data(as_text=True)).group(1)
    fake_slack.add_oauth_code(code, TEAM, "New Co", TOKEN, bot_user_id="UBOTNEW")
    return web.get(f"/slack/oauth_redirect?code={code}&state={state}"), state


def test_install_then_use_then_uninstall(web, fake_slack):
    done, state = install(web, fake_slack)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert SlackInstallation.get().team_id == TEAM and SlackBot.get().team_id == TEAM
    assert SlackOAuthState.select().count() == 0  # the state was used up
    assert SlackWorkspace.get(SlackWorkspace.team_id == TEAM).active

    fake_slack.add_user("UCARL", "carl@example.com", "Carl", team_id=TEAM)
    slack = SlackRequests(web, team_id=TEAM, response_url=fake_slack.response_url())
    answer = slack.command("/done", "installed donebot", "UCARL").get_json()
    assert "1 done" in answer["text"] and Entry.get().text == "installed donebot"
    assert any(c.token == TOKEN for c in fake_slack.calls_of("users.info"))  # the workspace's own bot token

    assert slack.event({"type": "app_uninstalled", "event_ts": "1.0"}).status_code == 200
    assert SlackBot.select().count() == 0 and SlackInstallation.select().count() == 0
    assert not SlackWorkspace.get(SlackWorkspace.team_id == TEAM).active
    after = slack.command("/done", "still here?", "UCARL")
    assert after.status_code == 200 and "isn't installed" in fake_slack.responses[-1]["text"]
    assert Entry.select().count() == 1


def test_a_state_is_good_once_and_a_bad_one_fails(web, fake_slack):
    done, state = install(web, fake_slack)
    assert done.status_code == 200
    fake_slack.add_oauth_code("code-2", TEAM, "New Co", TOKEN)
    again = web.get(f"/slack/oauth_redirect?code=code-2&state={state}")
    assert again.status_code >= 400 and SlackInstallation.select().count() == 1
    forged = web.get("/slack/oauth_redirect?code=code-2&state=forged")
    assert forged.status_code >= 400


def test_an_unknown_workspace_gets_a_friendly_refusal(web, fake_slack):
    answer = SlackRequests(web, team_id="TNOPE", response_url=fake_slack.response_url()).command("/digest", "", "UX")
    assert answer.status_code == 200 and "isn't installed" in fake_slack.responses[-1]["text"]
    event = SlackRequests(web, team_id="TNOPE").dm("UX", "hello")[0]
    assert event.status_code < 500 and Entry.select().count() == 0


def test_socket_mode_handler_uses_the_same_app(runtime, settings):
    from channels.slack.socket import make_handler

    with pytest.raises(ValueError):
        make_handler(settings, enqueue=lambda *a: None)  # no SLACK_APP_TOKEN
    handler = make_handler(with_settings(settings, slack_app_token="xapp-1-test"), enqueue=lambda *a: None)
    assert handler.client.web_client.base_url == settings.slack_api_url
    assert handler.app.oauth_flow is None and handler.app_token == "xapp-1-test"
