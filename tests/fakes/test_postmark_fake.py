"""Tests of the fake Postmark API itself, driven mostly through postmarker's real client."""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import requests
from postmarker.core import PostmarkClient
from postmarker.exceptions import ClientError

from .postmark import FakePostmark

REPO_ROOT = Path(__file__).resolve().parents[2]
SENDER = "DoneBot <bot@donebot.example>"


@pytest.fixture
def fake():
    server = FakePostmark().start()
    yield server
    server.stop()
    assert server.errors == []


@pytest.fixture
def client(fake):
    return PostmarkClient(server_token=fake.token, root_api_url=fake.url, timeout=5)


def message(i, **extra):
    data = {
        "From": SENDER,
        "To": f"user{i}@example.com",
        "Subject": f"What'd you get done today? #{i}",
        "TextBody": f"body {i}",
        "Metadata": {"delivery_id": f"d{i}"},
    }
    data.update(extra)
    return data


def raw_headers(fake, **extra):
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-Postmark-Server-Token": fake.token,
    }
    headers.update(extra)
    return headers


def search(client, **params):
    # postmarker 1.0's messages.outbound.all() has no metadata filter, so go through client.call().
    params.setdefault("count", 50)
    params.setdefault("offset", 0)
    return client.call("GET", "/messages/outbound", **params)


# -- sending ------------------------------------------------------------------------------------------------------


def test_send_one(fake, client):
    response = client.emails.send(**message(1), Tag="prompt")

    assert response["ErrorCode"] == 0
    assert response["Message"] == "OK"
    assert response["To"] == "user1@example.com"
    assert str(uuid.UUID(response["MessageID"])) == response["MessageID"]
    assert datetime.fromisoformat(response["SubmittedAt"]).tzinfo is not None

    [accepted] = fake.accepted
    assert accepted["MessageID"] == response["MessageID"]
    assert accepted["SubmittedAt"] == response["SubmittedAt"]
    assert accepted["From"] == SENDER
    assert accepted["Subject"] == "What'd you get done today? #1"
    assert accepted["Metadata"] == {"delivery_id": "d1"}
    assert accepted["Tag"] == "prompt"

    [seen] = fake.requests
    assert (seen["method"], seen["path"], seen["status"], seen["fault"]) == ("POST", "/email", 200, None)
    assert seen["headers"]["X-Postmark-Server-Token"] == fake.token
    assert seen["headers"]["Accept"] == "application/json"
    assert seen["body_size"] > 0


def test_send_batch_in_order(fake, client):
    responses = client.emails.send_batch(*[message(i) for i in range(3)])

    assert [r["To"] for r in responses] == ["user0@example.com", "user1@example.com", "user2@example.com"]
    assert all(r["ErrorCode"] == 0 and r["Message"] == "OK" for r in responses)
    assert len({r["MessageID"] for r in responses}) == 3
    accepted = fake.accepted
    assert [m["MessageID"] for m in accepted] == [r["MessageID"] for r in responses]
    assert [m["Metadata"]["delivery_id"] for m in accepted] == ["d0", "d1", "d2"]
    assert fake.requests[-1]["path"] == "/email/batch"


def test_batch_per_recipient_errors(fake, client):
    fake.recipient_errors["Gone@Example.com"] = 406  # keys are lower-cased
    fake.recipient_errors["invalid@example.com"] = 300
    batch = [
        message(0),
        message(1, To="gone@example.com"),
        message(2, To="user2@example.com", Cc="INVALID@example.com"),
        message(3),
    ]
    responses = client.emails.send_batch(*batch)

    assert [r["ErrorCode"] for r in responses] == [0, 406, 300, 0]
    assert "inactive" in responses[1]["Message"] and "gone@example.com" in responses[1]["Message"]
    assert "MessageID" not in responses[1] and "MessageID" not in responses[2]
    assert fake.requests[-1]["status"] == 200  # the batch as a whole succeeds
    assert [m["Metadata"]["delivery_id"] for m in fake.accepted] == ["d0", "d3"]


def test_single_send_inactive_recipient_is_422(fake, client):
    fake.recipient_errors = {"gone@example.com": 406}
    with pytest.raises(ClientError) as exc:
        client.emails.send(**message(1, To="gone@example.com"))
    assert exc.value.error_code == 406
    assert isinstance(exc.value.__cause__, requests.HTTPError)
    assert exc.value.__cause__.response.status_code == 422
    assert fake.accepted == []


def test_bad_or_missing_token_is_401(fake):
    wrong = PostmarkClient(server_token="wrong-token", root_api_url=fake.url, timeout=5)
    with pytest.raises(ClientError) as exc:
        wrong.emails.send(**message(1))
    assert exc.value.error_code == 10
    assert exc.value.__cause__.response.status_code == 401

    headers = raw_headers(fake)
    del headers["X-Postmark-Server-Token"]
    response = requests.post(fake.url + "email", json=message(1), headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json()["ErrorCode"] == 10
    assert fake.accepted == []


def test_invalid_json_is_422_402(fake):
    response = requests.post(fake.url + "email/batch", data=b"[{not json", headers=raw_headers(fake), timeout=5)
    assert response.status_code == 422
    assert response.json() == {"ErrorCode": 402, "Message": "Received invalid JSON input."}
    assert fake.accepted == []


def test_json_headers_required(fake):
    response = requests.post(
        fake.url + "email", data=json.dumps(message(1)), headers=raw_headers(fake, **{"Content-Type": "text/plain"})
    )
    assert response.status_code == 422
    assert response.json()["ErrorCode"] == 409


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"From": None}, "Invalid 'From' address"),
        ({"To": None}, "Zero recipients specified"),
        ({"To": "not-an-address"}, "Invalid 'To' address: 'not-an-address'."),
        ({"To": ",".join(f"r{i}@example.com" for i in range(51))}, "Maximum of 50 recipients"),
        ({"TextBody": None}, "Provide either email TextBody or HtmlBody"),
    ],
)
def test_single_send_validation(fake, override, expected):
    response = requests.post(
        fake.url + "email", json=message(1, **override), headers=raw_headers(fake), timeout=5
    )
    assert response.status_code == 422
    body = response.json()
    assert body["ErrorCode"] == 300
    assert expected in body["Message"]
    assert fake.accepted == []


def test_batch_over_500_is_rejected(fake, client):
    messages = [message(i) for i in range(501)]
    with pytest.raises(ClientError) as exc:
        client.emails._send_batch(*messages)  # the public send_batch() splits into chunks of 500
    assert exc.value.error_code == 410
    assert "500" in str(exc.value)
    assert exc.value.__cause__.response.status_code == 422
    assert fake.accepted == []

    assert len(client.emails._send_batch(*messages[:500])) == 500
    assert len(fake.accepted) == 500


# -- searching ----------------------------------------------------------------------------------------------------


def test_metadata_search_finds_message_by_delivery_id(fake, client):
    sent = client.emails.send_batch(*[message(i) for i in range(5)])
    client.emails.send(**message(9, To="Ann Example <ann@example.com>", Cc="bob@example.com"))

    result = search(client, metadata_delivery_id="d3")
    assert result["TotalCount"] == 1
    [found] = result["Messages"]
    assert found["MessageID"] == sent[3]["MessageID"]
    assert found["Metadata"] == {"delivery_id": "d3"}
    assert found["Status"] == "Sent"
    assert found["To"] == [{"Email": "user3@example.com", "Name": ""}]
    assert found["Recipients"] == ["user3@example.com"]
    assert found["From"] == SENDER
    assert found["MessageStream"] == "outbound"
    assert found["Attachments"] == []

    assert search(client, metadata_delivery_id="nope") == {"TotalCount": 0, "Messages": []}

    by_recipient = search(client, recipient="BOB@example.com")
    assert by_recipient["TotalCount"] == 1
    assert by_recipient["Messages"][0]["To"] == [{"Email": "ann@example.com", "Name": "Ann Example"}]
    assert by_recipient["Messages"][0]["Cc"] == [{"Email": "bob@example.com", "Name": ""}]

    # Most recent first, paginated; postmarker's own outbound.all() works too.
    page = search(client, count=2, offset=1)
    assert page["TotalCount"] == 6
    assert [m["Metadata"]["delivery_id"] for m in page["Messages"]] == ["d4", "d3"]
    listed = client.messages.outbound.all(count=10)
    assert [m.Metadata["delivery_id"] for m in listed] == ["d9", "d4", "d3", "d2", "d1", "d0"]
    details = listed[1].get()
    assert details.MessageID == sent[4]["MessageID"] and details.TextBody == "body 4"

    with pytest.raises(ClientError) as exc:
        client.call("GET", "/messages/outbound")  # count and offset are required
    assert exc.value.__cause__.response.status_code == 422


# -- faults -------------------------------------------------------------------------------------------------------


def test_fault_500_records_then_errors(fake, client):
    fake.fail_next(1, "500")
    with pytest.raises(requests.HTTPError) as exc:
        client.emails.send_batch(message(1), message(2))
    assert exc.value.response.status_code == 500
    # Postmark's ambiguous case: the messages were accepted although the client saw an error.
    assert [m["Metadata"]["delivery_id"] for m in fake.accepted] == ["d1", "d2"]
    assert search(client, metadata_delivery_id="d2")["TotalCount"] == 1
    assert fake.requests[0]["status"] == 500 and fake.requests[0]["fault"] == "500"


@pytest.mark.parametrize("kind", ["503", "429"])
def test_fault_503_and_429_record_nothing(fake, client, kind):
    fake.fail_next(2, kind)
    for _ in range(2):
        with pytest.raises(requests.HTTPError) as exc:
            client.emails.send(**message(1))
        assert exc.value.response.status_code == int(kind)
        assert exc.value.response.headers["Retry-After"] == "1"
    assert fake.accepted == []
    assert client.emails.send(**message(1))["ErrorCode"] == 0  # the queue of faults is used up
    assert len(fake.accepted) == 1
    assert [r["status"] for r in fake.requests] == [int(kind), int(kind), 200]


def test_fault_hang_times_out_and_does_not_block_stop():
    fake = FakePostmark().start()
    client = PostmarkClient(server_token=fake.token, root_api_url=fake.url, timeout=0.3)
    fake.fail_next(1, "hang")  # hang_seconds defaults to 30
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        client.emails.send(**message(1))
    assert time.monotonic() - started < 2
    assert fake.accepted == []
    assert fake.requests[0]["fault"] == "hang" and fake.requests[0]["status"] is None

    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2


def test_fault_reset_raises_connection_error(fake, client):
    client.emails.send(**message(0))  # a pooled keep-alive connection now exists
    fake.fail_next(1, "reset")
    with pytest.raises(requests.ConnectionError) as exc:
        client.emails.send(**message(1))
    assert "reset" in str(exc.value).lower()
    assert [m["Metadata"]["delivery_id"] for m in fake.accepted] == ["d0"]
    assert fake.requests[-1]["fault"] == "reset" and fake.requests[-1]["status"] is None
    assert client.emails.send(**message(2))["ErrorCode"] == 0  # the client reconnects


def test_random_faults_are_deterministic_with_seed(fake):
    def run():
        fake.reset()
        fake.fault_rate = 0.5
        fake.fault_kinds = ["503", "429"]
        fake.seed = 7
        with requests.Session() as session:
            return [
                session.post(fake.url + "email", json=message(i), headers=raw_headers(fake), timeout=5).status_code
                for i in range(30)
            ]

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 503, 429}
    assert len(fake.accepted) == first.count(200)


def test_latency_is_applied_per_request_in_parallel(fake, client):
    fake.latency = 0.2
    started = time.monotonic()
    client.emails.send(**message(1))
    assert time.monotonic() - started >= 0.2

    results = []

    def send(i):
        own = PostmarkClient(server_token=fake.token, root_api_url=fake.url, timeout=5)
        results.append(own.emails.send(**message(i))["ErrorCode"])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert results == [0, 0, 0, 0]
    assert 0.2 <= elapsed < 0.6  # served concurrently, not one after another

    fake.latency = 0
    started = time.monotonic()
    client.emails.send(**message(9))
    assert time.monotonic() - started < 0.15


def test_stop_closes_idle_keepalive_connections():
    fake = FakePostmark().start()
    with requests.Session() as session:
        url = fake.url
        assert session.post(url + "email", json=message(1), headers=raw_headers(fake)).status_code == 200
        fake.stop()
        with pytest.raises(requests.ConnectionError):
            session.post(url + "email", json=message(2), headers=raw_headers(fake), timeout=2)
    assert len(fake.accepted) == 1


# -- control API --------------------------------------------------------------------------------------------------


def test_control_api(fake, client):
    url = fake.url
    config = requests.post(
        url + "_fake/config",
        json={
            "latency": 0.01,
            "recipient_errors": {"Gone@example.com": 406},
            "fail_next": {"n": 1, "kind": "503"},
        },
        timeout=5,
    ).json()
    assert config["latency"] == 0.01
    assert config["recipient_errors"] == {"gone@example.com": 406}
    assert config["fail_next"] == ["503"]
    assert fake.latency == 0.01

    with pytest.raises(requests.HTTPError):
        client.emails.send(**message(1))
    responses = client.emails.send_batch(message(1), message(1), message(2), message(3, To="gone@example.com"))
    assert [r["ErrorCode"] for r in responses] == [0, 0, 0, 406]

    stats = requests.get(url + "_fake/accepted?count_only=1", timeout=5).json()
    assert stats == {"count": 3, "distinct_delivery_ids": 2, "duplicates": 1}
    full = requests.get(url + "_fake/accepted", timeout=5).json()
    assert [m["Metadata"]["delivery_id"] for m in full] == ["d1", "d1", "d2"]
    assert all("MessageID" in m and "SubmittedAt" in m for m in full)
    recorded = requests.get(url + "_fake/requests", timeout=5).json()
    assert [r["status"] for r in recorded] == [503, 200]  # control calls are not recorded

    assert requests.post(url + "_fake/config", json={"bogus": 1}, timeout=5).status_code == 400
    assert requests.post(url + "_fake/reset", timeout=5).json() == {"ok": True}
    assert requests.get(url + "_fake/accepted?count_only=1", timeout=5).json() == {
        "count": 0,
        "distinct_delivery_ids": 0,
        "duplicates": 0,
    }
    assert fake.latency == 0 and fake.recipient_errors == {} and fake.requests == []


def test_standalone_process_prints_url_and_serves():
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.postmark", "--port", "0", "--latency", "0.05"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        client = PostmarkClient(server_token="fake-server-token", root_api_url=url, timeout=5)
        started = time.monotonic()
        assert client.emails.send(**message(1))["ErrorCode"] == 0
        assert time.monotonic() - started >= 0.05
        assert requests.get(url + "_fake/accepted?count_only=1", timeout=5).json()["count"] == 1
    finally:
        proc.terminate()
        returncode = proc.wait(timeout=5)
        proc.stdout.close()
    assert returncode == 0
