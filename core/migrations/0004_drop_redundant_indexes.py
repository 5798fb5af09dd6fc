"""Drop single-column foreign-key indexes that a composite index already leads with.

Each one cost every insert a little (the tick inserts tens of thousands of deliveries at once)
and answered no query the composite index could not.
"""

REDUNDANT = {
    "delivery_membership_id": "delivery (membership_id, kind, channel, local_date)",
    "entry_membership_id": "entry (membership_id, local_date)",
    "membership_user_id": "membership (user_id, team_id)",
}


def up(migrator, db):
    for name in REDUNDANT:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def down(migrator, db):
    db.execute_sql('CREATE INDEX IF NOT EXISTS "delivery_membership_id" ON "delivery" ("membership_id")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "entry_membership_id" ON "entry" ("membership_id")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "membership_user_id" ON "membership" ("user_id")')
