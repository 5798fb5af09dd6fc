"""Email: rendering, the outbox and Postmark senders, inbound webhooks and the reply parser."""
