"""Reply text -> entries."""
import pytest

from core.entries import parse_entries


def kinds_and_texts(text):
    return [(e.kind, e.text) for e in parse_entries(text)]


def test_one_entry_per_line_with_bullets_stripped():
    text = "- shipped it\n* reviewed a PR\n• wrote docs\n+ fixed CI\n1. one\n2) two\n"
    assert kinds_and_texts(text) == [("done", t) for t in
                                     ["shipped it", "reviewed a PR", "wrote docs", "fixed CI", "one", "two"]]


def test_plain_lines_without_bullets_are_entries_each():
    assert kinds_and_texts("did a\n\ndid b\n  did c  \n") == [("done", "did a"), ("done", "did b"), ("done", "did c")]


def test_goals_done_goals_and_blockers():
    text = "[ ] write the guide\n- [x] fix login\n! waiting on CI\nblocked: no keys\nBlocker: legal\n[] empty box\n"
    entries = parse_entries(text)
    assert [(e.kind, e.text) for e in entries] == [
        ("goal", "write the guide"), ("done", "fix login"), ("blocker", "waiting on CI"),
        ("blocker", "no keys"), ("blocker", "legal"), ("goal", "empty box"),
    ]
    assert [e.closes_goal for e in entries] == [False, True, False, False, False, False]


def test_tags_and_mentions_are_kept_and_extracted():
    entry = parse_entries("- shipped #Backend work with @dana.k and @Bob, see #42 and #v2-launch.")[0]
    assert entry.text == "shipped #Backend work with @dana.k and @Bob, see #42 and #v2-launch."
    assert entry.tags == ["backend", "v2-launch"]
    assert entry.mentions == ["dana.k", "bob"]


def test_email_addresses_and_urls_are_not_mentions_or_tags():
    entry = parse_entries("mailed bob@example.com about https://x.test/page#section")[0]
    assert entry.mentions == [] and entry.tags == []


def test_continuation_lines_join_their_bullet():
    text = "- refactored the scheduler so that\n  it computes each rule once\n- fixed the\nflaky test\n\nlunch with the team\n"
    assert kinds_and_texts(text) == [
        ("done", "refactored the scheduler so that it computes each rule once"),
        ("done", "fixed the flaky test"),
        ("done", "lunch with the team"),
    ]


def test_goal_or_blocker_line_after_a_bullet_starts_a_new_entry():
    text = "- did a\n[ ] goal b\n! blocker c\n"
    assert kinds_and_texts(text) == [("done", "did a"), ("goal", "goal b"), ("blocker", "blocker c")]


@pytest.mark.parametrize("text", ["", "   \n\n", "-\n*\n[ ]\n!"])
def test_nothing_to_record(text):
    assert parse_entries(text) == []


def test_numbers_that_are_not_list_markers_stay():
    assert kinds_and_texts("3.5 hours on the migration") == [("done", "3.5 hours on the migration")]
    assert kinds_and_texts("-5% error rate") == [("done", "-5% error rate")]


def test_quoted_lines_left_in_an_interleaved_reply_are_skipped():
    text = "> What did you ship?\n- the importer\n> Anything blocking?\n! waiting on keys\n"
    assert kinds_and_texts(text) == [("done", "the importer"), ("blocker", "waiting on keys")]
