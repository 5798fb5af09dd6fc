"""The fake Slack Web API speaks Slack's wire format to the real slack_sdk, and donebot checks
signatures with Slack's real algorithm (the documented example verifies, a tampered body fails)."""
import json
import time

import pytest
from flask import Flask
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from channels.slack.api import call
from channels.slack.web import make_verifier
from tests.conftest import CORPORA
from tests.fakes.slack import BOT_TOKEN, TEAM_ID, sign

SIGNING = CORPORA / "slack" / "signing"


def client_for(fake, token=BOT_TOKEN):
    return WebClient(token=token, base_url=fake.url, timeout=5, retry_handlers=[])


def test_fake_answers_like_slack(fake_slack):
    fake_slack.add_user("U1", "ann@example.com", "Ann")
    web = client_for(fake_slack)
    assert web.auth_test()["team_id"] == TEAM_ID
    channel = web.conversations_open(users="U1")["channel"]["id"]
    posted = web.chat_postMessage(channel=channel, text="hi", blocks=[{"type": "section", "text": {"type": "mrkdwn",
                                                                                                  "text": "hi"}}])
    assert posted["ts"] and fake_slack.messages_to("U1")[0]["blocks"][0]["type"] == "section"
    assert web.users_lookupByEmail(email="ANN@example.com")["user"]["id"] == "U1"
    assert web.users_info(user="U1")["user"]["profile"]["email"] == "ann@example.com"
    web.reactions_add(channel=channel, timestamp=posted["ts"], name="white_check_mark")
    web.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert fake_slack.published["U1"]["type"] == "home"
    assert [c.method for c in fake_slack.calls][:2] == ["auth.test", "conversations.open"]
    with pytest.raises(SlackApiError) as error:
        client_for(fake_slack, "xoxb-wrong").auth_test()
    assert error.value.response["error"] == "invalid_auth"
    fake_slack.user_errors["U1"] = "account_inactive"
    with pytest.raises(SlackApiError) as error:
        web.chat_postMessage(channel=channel, text="hi")
    assert error.value.response["error"] == "account_inactive"
    with pytest.raises(SlackApiError) as error:
        web.chat_postMessage(channel="DNOBODY", text="hi")
    assert error.value.response["error"] == "channel_not_found"
    web.auth_revoke()
    with pytest.raises(SlackApiError) as error:
        web.auth_test()
    assert error.value.response["error"] == "token_revoked"


def test_fake_rate_limits_with_retry_after_and_call_waits(fake_slack):
    fake_slack.add_user("U1", "ann@example.com")
    fake_slack.rate_limit(3, per_seconds=1.0)
    web = client_for(fake_slack)
    for _ in range(3):
        web.users_info(user="U1")
    with pytest.raises(SlackApiError) as error:
        web.users_info(user="U1")
    assert error.value.response.status_code == 429
    assert error.value.response["error"] == "ratelimited"
    assert int(error.value.response.headers["Retry-After"]) >= 1
    slept = []
    start = time.monotonic()
    assert call(web.users_info, sleep=lambda s: (slept.append(s), time.sleep(s)), user="U1")["ok"]
    assert slept and time.monotonic() - start >= 0.9  # it waited as asked, then went on
    fake_slack.fail_next("chat.postMessage", "ratelimited")
    assert fake_slack.rate_limited >= 2


def doc_example():
    return json.loads((SIGNING / "slack_doc_signing_example.json").read_text())


def test_documented_signing_example_verifies_with_an_injected_clock():
    example = doc_example()
    at = int(example["x_slack_request_timestamp"])
    verifier = make_verifier(example["signing_secret"], clock=lambda: at + 30)
    assert verifier.is_valid(example["body"], example["x_slack_request_timestamp"],
                             example["expected_x_slack_signature"])
    # our test helper signs the same way
    assert sign(example["signing_secret"], example["body"], at)["X-Slack-Signature"] == \
        example["expected_x_slack_signature"]
    tampered = example["body"].replace("user_name=roadrunner", "user_name=coyote")
    assert not verifier.is_valid(tampered, example["x_slack_request_timestamp"], example["expected_x_slack_signature"])
    # the replay window: the same request six minutes later is refused
    late = make_verifier(example["signing_secret"], clock=lambda: at + 6 * 60)
    assert not late.is_valid(example["body"], example["x_slack_request_timestamp"],
                             example["expected_x_slack_signature"])


def test_computed_vectors_over_bolt_payloads_verify():
    vectors = json.loads((SIGNING / "computed_vectors_over_bolt_payloads.json").read_text())["vectors"]
    tampered = [v for v in vectors if str(v.get("expect_valid", True)).lower() == "false"]
    valid = [v for v in vectors if v not in tampered]
    assert valid and tampered
    for vector in vectors:
        verifier = make_verifier(vector["signing_secret"], clock=lambda: int(vector["timestamp"]))
        verdict = verifier.is_valid(vector["raw_body"], vector["timestamp"], vector["x_slack_signature"])
        assert verdict is (vector in valid), vector
        assert not verifier.is_valid(vector["raw_body"] + " ", vector["timestamp"], vector["x_slack_signature"])


def test_the_documented_request_through_the_events_route(runtime, settings):
    """The doc example, posted to /slack/events with its own secret and a clock frozen at its time:
    accepted (an unknown command gets a friendly answer); tampered, stale or unsigned: 401."""
    from channels.slack.app import SlackDeps, build_app
    from channels.slack.clients import Clients
    from channels.slack.web import make_blueprint

    example = doc_example()
    at = int(example["x_slack_request_timestamp"])
    bolt_app = build_app(settings, SlackDeps(settings, Clients(settings), enqueue=lambda *a: None))
    flask_app = Flask(__name__)
    flask_app.register_blueprint(make_blueprint(bolt_app, example["signing_secret"], clock=lambda: at + 1))
    web = flask_app.test_client()
    headers = {"X-Slack-Request-Timestamp": example["x_slack_request_timestamp"],
               "X-Slack-Signature": example["expected_x_slack_signature"]}
    form = "application/x-www-form-urlencoded"
    ok = web.post("/slack/events", data=example["body"], content_type=form, headers=headers)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    # verified; it comes from another workspace than SLACK_BOT_TOKEN's, so a friendly refusal
    assert ok.get_json()["response_type"] == "ephemeral" and "isn't installed" in ok.get_json()["text"]
    tampered = example["body"].replace("roadrunner", "coyote")
    assert web.post("/slack/events", data=tampered, content_type=form, headers=headers).status_code == 401
    assert web.post("/slack/events", data=example["body"], content_type=form).status_code == 401
    stale_app = Flask(__name__)
    stale_app.register_blueprint(make_blueprint(bolt_app, example["signing_secret"], clock=lambda: at + 301))
    assert stale_app.test_client().post("/slack/events", data=example["body"], content_type=form,
                                        headers=headers).status_code == 401
