"""The `donebot` command: each subcommand, and bad input as a clear message with exit status 2."""
import json
import os
import subprocess
import sys

import pytest

from bot.cli import main
from core.models import Delivery, Membership, OutboxMessage, Team, User
from tests.conftest import ROOT, TEST_SECRET


@pytest.fixture
def env(runtime, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("HUEY_SQLITE_PATH", str(tmp_path / "queue.db"))
    monkeypatch.setenv("HUEY_IMMEDIATE", "true")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("POSTMARK_SERVER_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_command_with_help_text():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    for command in ("migrate", "init-db", "demo", "teams", "users", "tick", "digest", "parse-email", "reap"):
        assert command in result.stdout
    assert "plan what is due" in result.stdout


def test_teams_and_users(env, capsys):
    assert run(capsys, "teams", "add", "Platform Team")[0] == 0
    code, out, _ = run(capsys, "users", "add", "Dana@Example.com", "--team", "platform-team", "--tz",
                       "Asia/Kathmandu", "--prompt-at", "17:45", "--digest-at", "08:30", "--name", "Dana")
    assert code == 0 and "dana@example.com" in out
    member = Membership.get()
    assert member.user.email == "dana@example.com" and member.user.tz == "Asia/Kathmandu"
    assert (member.prompt_at, member.digest_at) == ("17:45", "08:30")
    assert member.next_prompt_at is not None and member.next_prompt_at.minute == 0  # 17:45 +05:45 = 12:00 UTC
    code, out, _ = run(capsys, "users", "list", "--team", "platform-team")
    assert code == 0 and "dana@example.com" in out


@pytest.mark.parametrize("argv,message", [
    (["users", "add", "a@example.com", "--team", "nope"], "unknown team"),
    (["users", "add", "a@example.com", "--team", "t", "--tz", "Mars/Base"], "unknown time zone"),
    (["users", "add", "a@example.com", "--team", "t", "--prompt-at", "25:99"], "malformed time"),
    (["users", "add", "a@example.com", "--team", "t", "--prompt-at", "5pm"], "malformed time"),
    (["users", "add", "not-an-email", "--team", "t"], "not an email address"),
    (["users", "add", "a@example.com", "--team", "t", "--workdays", "89"], "malformed workdays"),
    (["teams", "add", "T", "--tz", "Nowhere/City"], "unknown time zone"),
    (["teams", "add", "t"], "already exists"),
    (["teams", "add", "!!!"], "cannot make a slug"),
    (["digest", "nope"], "unknown team"),
    (["digest", "t", "--date", "yesterday"], "not a date"),
    (["tick", "--now", "tomorrow at five"], "not ISO 8601"),
])
def test_bad_input_is_a_clear_message_and_exit_2_and_writes_nothing(env, capsys, argv, message):
    assert run(capsys, "teams", "add", "T", "--slug", "t")[0] == 0
    counts = (Team.select().count(), User.select().count(), Membership.select().count())
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and err.startswith("donebot: error:")
    assert (Team.select().count(), User.select().count(), Membership.select().count()) == counts


def test_argparse_errors_exit_2(env, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["users", "add"])
    assert exit_info.value.code == 2


def test_demo_seeds_once(env, capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "alice@example.com" in out
    assert Membership.select().count() == 5
    assert len({m.user.tz for m in Membership.select()}) == 5
    entries_before = sum(m.entries.count() for m in Membership.select())
    assert entries_before > 10
    code, out, _ = run(capsys, "demo", "--if-empty")
    assert code == 0 and "nothing to do" in out
    run(capsys, "demo")  # run again without the flag: still no duplicates
    assert sum(m.entries.count() for m in Membership.select()) == entries_before


def test_tick_at_a_members_prompt_time_puts_the_prompt_in_the_outbox(env, capsys):
    run(capsys, "teams", "add", "T", "--slug", "t")
    run(capsys, "users", "add", "x@example.com", "--team", "t", "--tz", "Europe/London", "--prompt-at", "17:00",
        "--digest-at", "09:00")
    due = Membership.get().next_prompt_at
    code, out, _ = run(capsys, "tick", "--now", due.isoformat() + "+00:00")
    assert code == 0 and "sent 1" in out
    message = OutboxMessage.get()
    assert message.to.endswith("<x@example.com>") and "What'd you get done today?" in message.subject
    code, out, _ = run(capsys, "tick", "--now", due.isoformat())  # the same minute again
    assert code == 0 and "nothing due" in out
    assert OutboxMessage.select().count() == 1
    assert Delivery.select().where(Delivery.kind == "prompt").count() == 1


def test_parse_email_prints_one_json_line_per_file(env, capsys, tmp_path):
    plain = tmp_path / "reply.txt"
    plain.write_text("- shipped it\n[ ] docs\n\nOn Mon, Dec 1, 2026 at 5:00 PM donebot <reply@x.test> wrote:\n> What'd you get done?\n")
    postmark = tmp_path / "payload.json"
    postmark.write_text(json.dumps({"MessageID": "m1", "TextBody": "! waiting on CI", "Headers": [],
                                    "From": "a@example.com"}))
    code, out, err = run(capsys, "parse-email", str(plain), str(postmark), str(tmp_path / "missing.eml"))
    assert code == 2 and "missing.eml" in err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["file"] == str(plain)
    assert lines[0]["entries"] == [{"kind": "done", "text": "shipped it"}, {"kind": "goal", "text": "docs"}]
    assert lines[0]["auto_reply"] is False and "wrote" not in lines[0]["reply"]
    assert lines[1]["entries"] == [{"kind": "blocker", "text": "waiting on CI"}]


def test_production_without_secret_key_refuses_to_start(tmp_path):
    env = {**os.environ, "DONEBOT_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], capture_output=True, text=True,
                            cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert "SECRET_KEY must be set" in result.stderr


def test_email_status_lists_who_is_not_receiving_mail(env, capsys):
    from core.email_status import set_email_status

    run(capsys, "teams", "add", "T", "--slug", "t")
    run(capsys, "users", "add", "ok@example.com", "--team", "t")
    run(capsys, "users", "add", "gone@example.com", "--team", "t")
    assert run(capsys, "email-status")[1].strip() == "everyone is receiving email"
    set_email_status(User.get(User.email == "gone@example.com"), "bounced")
    code, out, _ = run(capsys, "email-status", "--team", "t")
    assert code == 0 and "gone@example.com" in out and "bounced" in out and "ok@example.com" not in out
