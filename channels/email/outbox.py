"""The outbox sender: keeps email in the database instead of sending it (no Postmark token set).

It answers like Postmark would, one result per message, so the ledger runs the same.
"""
import json

from peewee import IntegrityError

from core.channels import SendResult
from core.db import db
from core.models import OutboxMessage, utcnow


class OutboxSender:
    def send_batch(self, messages):
        results = []
        for message in messages:
            # Mail outside the ledger (the web's sign-in links, invitations) has no delivery id.
            delivery_id = (message.get("Metadata") or {}).get("delivery_id")
            delivery_id = int(delivery_id) if delivery_id is not None else None
            try:
                with db.atomic():
                    row = OutboxMessage.create(
                        delivery=delivery_id,
                        to=message["To"],
                        sender=message["From"],
                        reply_to=message.get("ReplyTo", ""),
                        subject=message["Subject"],
                        text_body=message["TextBody"],
                        html_body=message.get("HtmlBody", ""),
                        headers=json.dumps(message.get("Headers", [])),
                        tag=message.get("Tag", ""),
                        created_at=utcnow(),
                    )
            except IntegrityError:  # kept before: sending twice must not show twice
                row = OutboxMessage.get(OutboxMessage.delivery == delivery_id)
            results.append(SendResult(delivery_id, provider_message_id=f"outbox-{row.id}"))
        return results

    def find_accepted(self, delivery_ids):
        rows = OutboxMessage.select(OutboxMessage.id, OutboxMessage.delivery).where(
            OutboxMessage.delivery.in_(list(delivery_ids))
        )
        kept = {row.delivery_id: f"outbox-{row.id}" for row in rows}
        return {delivery_id: kept.get(delivery_id) for delivery_id in delivery_ids}

