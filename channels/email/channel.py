"""The email channel: renders each Outgoing item and hands the batch to a sender
(the outbox, or Postmark)."""
from channels.email.message import build_message, settings_url
from channels.email.render import BatchRenderer
from core.channels import DeliveryError, SendResult


class EmailChannel:
    name = "email"

    def __init__(self, settings, sender):
        self.settings = settings
        self.sender = sender

    def send(self, items):
        messages, results = [], []
        renderer = BatchRenderer(settings_url(self.settings))
        for item in items:
            try:
                messages.append(build_message(item, self.settings, renderer))
            except Exception as error:  # a template bug must not hold up the rest of the batch
                results.append(SendResult(item.delivery_id, error=DeliveryError(f"render failed: {error!r}",
                                                                                  permanent=True)))
        if messages:
            try:
                results += self.sender.send_batch(messages)
            except DeliveryError as error:  # keep the render failures' own results
                if not results:
                    raise
                results += [SendResult(int(m["Metadata"]["delivery_id"]), error=error) for m in messages]
        return results

    def reconcile(self, delivery_ids):
        return self.sender.find_accepted(delivery_ids)
