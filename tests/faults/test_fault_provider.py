"""Postmark misbehaving: 20% of requests fail every way it can fail, some recipients are inactive.
Every other prompt arrives exactly once; the inactive ones end failed, their address suppressed."""
import pytest

from core.models import Delivery, User
from core.teams import create_team
from tests.faults.conftest import needs_services, seed_members
from tests.faults.test_fault_workers import assert_each_exactly_once, due_now, finish

pytestmark = [needs_services, pytest.mark.slow]

COUNT = 3000
INACTIVE = {f"f{i}@example.com" for i in range(0, COUNT, 199)}  # 16 people Postmark calls inactive


def test_provider_faults_and_inactive_recipients(fault_runtime, fault_settings, fake):
    seed_members(create_team("Faulty team", slug="faulty"), COUNT, due_now())
    fake.configure(latency=0.02, fault_rate=0.2, fault_kinds=["500", "503", "429", "hang", "reset"], seed=11,
                   hang_seconds=3, recipient_errors={address: 406 for address in INACTIVE})
    for kind in ("500", "503", "429", "hang", "reset"):  # each kind surely happens, then 20% at random
        fake.fail_next(1, kind)
    fault_runtime.tasks.run_tick(due_now())
    finish(fault_runtime, fake, fault_settings, COUNT - len(INACTIVE), timeout=240)

    kinds_seen = {r["fault"] for r in fake.requests if r.get("fault")}
    assert {"500", "503", "429", "hang", "reset"} <= kinds_seen, kinds_seen  # every fault really happened
    assert_each_exactly_once(fake, COUNT - len(INACTIVE))
    accepted_to = {m["To"].rsplit("<", 1)[-1].rstrip(">") for m in fake.accepted}
    assert not accepted_to & INACTIVE
    failed = Delivery.select().where(Delivery.state == "failed")
    assert {d.membership.user.email for d in failed} == INACTIVE
    assert {u.email for u in User.select().where(User.email_status == "bounced")} == INACTIVE
    assert Delivery.select().where(Delivery.state == "sent").count() == COUNT - len(INACTIVE)
