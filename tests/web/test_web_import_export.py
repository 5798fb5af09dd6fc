"""CSV export of a team's entries; importing an iDoneThis export by command and by upload."""
import csv
import io

import pytest

from bot.cli import main
from core.models import Entry, EntryTerm, Membership, Reply, User
from core.replies import record_reply
from tests.conftest import TEST_SECRET
from tests.web.conftest import FRIDAY, post

HEADER = "user_email_address,status,body,occurred_on,completed_on,created_at\n"
EXPORT = HEADER + (
    "ada@example.com,done,shipped the importer #backend,2016-03-01,,2016-03-01T17:02:00Z\n"
    "new.hire@example.com,goal,write the onboarding guide,2016-03-01,2016-03-03,2016-03-01T18:00:00+01:00\n"
    'new.hire@example.com,blocked,"waiting on @ada, again",2016-03-02,,\n'
    "not-an-email,done,x,2016-03-01,,\n"
    "ada@example.com,done,,2016-03-01,,\n"
    "ada@example.com,done,fine,March 1st,,\n"
    "ada@example.com,maybe,fine,2016-03-01,,\n"
    "ada@example.com,done,fine,2016-03-01,,yesterday\n"
)


def test_export_is_csv_in_idonethis_columns(as_user, world, clock):
    record_reply(world["max"], FRIDAY, "- =HYPERLINK(\"x\") #backend\n[ ] goal one", "email", "m1", clock.now)
    record_reply(world["olga"], FRIDAY, "- beta only", "email", "o1", clock.now)
    response = as_user("max").get("/teams/alpha/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="donebot-alpha.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["user_email_address"], r["status"], r["body"]) for r in rows] == [
        ("max@example.com", "done", "'=HYPERLINK(\"x\") #backend"),  # a spreadsheet will not run it
        ("max@example.com", "goal", "goal one"),
    ]
    assert rows[0]["occurred_on"] == FRIDAY.isoformat()


def test_upload_imports_and_reports(as_user, world):
    ada = as_user("ada")
    upload = {"file": (io.BytesIO(EXPORT.encode()), "export.csv")}
    response = post(ada, "/teams/alpha/admin/import", upload, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "rows read 8, imported 3, skipped 0 (imported before), rejected 5" in page
    for reason in ("not an email address", "body is empty", "is not a date", "status &#39;maybe&#39;",
                   "created_at &#39;yesterday&#39;"):
        assert reason in page
    hire = User.get(User.email == "new.hire@example.com")
    assert hire.tz == "Europe/London"  # the team's default
    entries = {e.text: e for e in Entry.select()}
    assert entries["shipped the importer #backend"].tags == "backend"
    assert entries["write the onboarding guide"].completed_at is not None
    assert entries["waiting on @ada, again"].kind == "blocker"
    assert EntryTerm.select().where(EntryTerm.kind == "mention", EntryTerm.value == "ada").exists()
    # The same file again: nothing new.
    again = post(ada, "/teams/alpha/admin/import", {"file": (io.BytesIO(EXPORT.encode()), "export.csv")},
                 content_type="multipart/form-data").get_data(as_text=True)
    assert "imported 0, skipped 3" in again and Entry.select().count() == 3


@pytest.mark.parametrize("content,reason", [
    (b"name,email\nx,y\n", "header lacks"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (None, "choose a CSV file"),
])
def test_upload_rejects_bad_files(as_user, world, content, reason):
    data = {} if content is None else {"file": (io.BytesIO(content), "export.csv")}
    response = post(as_user("ada"), "/teams/alpha/admin/import", data, content_type="multipart/form-data")
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert Entry.select().count() == 0 and Reply.select().count() == 0


def test_export_then_import_into_another_team(as_user, world, clock):
    record_reply(world["max"], FRIDAY, "- @ada reviewed\n[ ] goal one", "email", "m1", clock.now)
    exported = as_user("max").get("/teams/alpha/export.csv").get_data()
    olga = as_user("olga")
    page = post(olga, "/teams/beta/admin/import", {"file": (io.BytesIO(exported), "alpha.csv")},
                content_type="multipart/form-data").get_data(as_text=True)
    assert "imported 2" in page
    beta = Entry.select().join(Membership).where(Membership.team == world["beta"])
    assert sorted(e.text for e in beta) == ["@ada reviewed", "goal one"]


@pytest.fixture
def env(runtime, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("HUEY_SQLITE_PATH", str(tmp_path / "queue.db"))
    monkeypatch.setenv("HUEY_IMMEDIATE", "true")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("POSTMARK_SERVER_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_import_command(env, world, capsys):
    path = env / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    assert main(["import", str(path), "--team", "alpha"]) == 0
    out, err = capsys.readouterr()
    assert "rows read 8, imported 3, skipped 0 (imported before), rejected 5" in out
    assert "row 5: not an email address" in out and "new.hire@example.com" in out
    assert "8/8 rows" in err and "[####" in err
    assert main(["import", str(path), "--team", "alpha"]) == 0
    out, _ = capsys.readouterr()
    assert "imported 0, skipped 3" in out and Entry.select().count() == 3


@pytest.mark.parametrize("setup,argv_team,reason", [
    ("missing", "alpha", "cannot read"),
    ("bad header", "alpha", "header lacks"),
    ("fine", "nope", "unknown team"),
])
def test_import_command_bad_input(env, world, capsys, setup, argv_team, reason):
    path = env / "export.csv"
    if setup == "bad header":
        path.write_text("a,b\n1,2\n")
    elif setup == "fine":
        path.write_text(EXPORT)
    assert main(["import", str(path), "--team", argv_team]) == 2
    assert reason in capsys.readouterr().err
    assert Entry.select().count() == 0
