"""The Slack channel: prompts, digests and receipts as DMs from the bot (Block Kit).

Every message carries Slack message metadata {"delivery_id": ...}, so a send that ended
ambiguously (a timeout, a 5xx) is reconciled from the DM's history before anything is re-sent.
"""
import logging
import time

from peewee import IntegrityError
from slack_sdk.errors import SlackApiError

from channels.slack import blocks
from channels.slack.api import INACTIVE_ERRORS, call, delivery_error, error_code
from channels.slack.models import ACTIVE, INACTIVE, SlackChannelPost, SlackUser, SlackWorkspace
from channels.slack.people import link_by_email
from core.channels import DeliveryError, SendResult
from core.db import db
from core.models import Delivery, Membership, User, utcnow

log = logging.getLogger(__name__)
METADATA_EVENT = "donebot_delivery"


def render(item):
    if item.kind == "prompt":
        return blocks.prompt(item)
    if item.kind == "digest":
        return blocks.digest(item.context["digest"])
    if item.kind == "receipt":
        return blocks.receipt(item)
    text = f"A reminder from donebot ({item.team_name}): what did you get done today?"
    return text, [blocks.section(blocks.escape(text))]


class SlackChannel:
    name = "slack"

    def __init__(self, settings, clients, sleep=time.sleep, clock=utcnow):
        self.settings = settings
        self.clients = clients
        self.sleep = sleep
        self.clock = clock

    def send(self, items):
        results, stop = [], None
        for item in items:
            if stop is not None:  # rate limited past what one send waits: the ledger retries the rest later
                results.append(SendResult(item.delivery_id, error=stop))
                continue
            try:
                results.append(SendResult(item.delivery_id, provider_message_id=self._send_one(item)))
            except DeliveryError as error:
                results.append(SendResult(item.delivery_id, error=error))
                if error.retry_after and not error.permanent:
                    stop = DeliveryError(f"not sent: {error}", retry_after=error.retry_after)
        return results

    # -- one message --------------------------------------------------------------------------------
    def _send_one(self, item):
        account, client = self._recipient(item)
        text, body = render(item)
        channel = account.dm_channel or self._open(client, account)
        answer = self._post(client, account, channel, text, body, item.delivery_id, reopen=bool(account.dm_channel))
        if item.kind == "digest":
            self._post_to_team_channel(item, client, account.team_id, text, body)
        return f"{answer['channel']}:{answer['ts']}"

    def _post(self, client, account, channel, text, body, delivery_id, reopen):
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"delivery_id": delivery_id}}
        try:
            return call(client.chat_postMessage, sleep=self.sleep, channel=channel, text=text, blocks=body,
                        metadata=metadata, unfurl_links=False, unfurl_media=False)
        except SlackApiError as error:
            code = error_code(error)
            if code == "channel_not_found" and reopen:  # a stale cached DM channel: open it again, once
                channel = self._open(client, account)
                return self._post(client, account, channel, text, body, delivery_id, reopen=False)
            if code in INACTIVE_ERRORS:
                self._flag_inactive(account)
            raise delivery_error(error, ambiguous_if_unsure=True) from None
        except DeliveryError:
            raise
        except Exception as error:  # noqa: BLE001 - the request may have reached Slack
            raise delivery_error(error, ambiguous_if_unsure=True) from None

    def _open(self, client, account):
        try:
            channel = call(client.conversations_open, sleep=self.sleep, users=account.slack_user_id)["channel"]["id"]
        except SlackApiError as error:
            if error_code(error) in INACTIVE_ERRORS:
                self._flag_inactive(account)
            raise delivery_error(error) from None
        except DeliveryError:
            raise
        except Exception as error:  # noqa: BLE001 - opening a DM twice is harmless: never ambiguous
            raise delivery_error(error) from None
        SlackUser.update(dm_channel=channel).where(SlackUser.id == account.id).execute()
        account.dm_channel = channel
        return channel

    def _recipient(self, item):
        accounts = list(SlackUser.select().where(SlackUser.user == item.user_id)
                        .order_by(SlackUser.updated_at.desc(), SlackUser.id.desc()))
        active = [a for a in accounts if a.status == ACTIVE]
        if accounts and not active:
            raise DeliveryError("the Slack account is inactive (deactivated or left the workspace)", permanent=True)
        for account in active:
            client = self.clients.for_team(account.team_id)
            if client is not None:
                return account, client
        if active:
            raise DeliveryError("donebot is no longer installed in this person's Slack workspace", permanent=True)
        user = User.get_by_id(item.user_id)
        for team_id in self.clients.teams():
            client = self.clients.for_team(team_id)
            account = link_by_email(client, team_id, user, self.clock()) if client else None
            if account is not None:
                return account, client
        raise DeliveryError(f"no Slack account with the email {item.email}", permanent=True)

    def _flag_inactive(self, account):
        """Like a bounced address: no more DMs, and the person is asked by email again if email works."""
        with db.atomic():
            SlackUser.update(status=INACTIVE, updated_at=self.clock()).where(SlackUser.id == account.id).execute()
            still = SlackUser.select().where(SlackUser.user == account.user_id, SlackUser.status == ACTIVE).exists()
            user = User.get_by_id(account.user_id)
            if not still and user.email_status == "active":
                Membership.update(preferred_channel="email").where(
                    Membership.user == user.id, Membership.preferred_channel == self.name).execute()
        log.warning("Slack account %s is inactive; no more DMs to it", account.external_id)

    def _post_to_team_channel(self, item, client, team_id, text, body):
        """The digest also goes to the team's channel, once per team and day, if one is configured."""
        row = SlackWorkspace.get_or_none(SlackWorkspace.team_id == team_id)
        channel = (row.digest_channel if row else "") or self.settings.slack_digest_channel
        if not channel:
            return
        team_id_db = Membership.get_by_id(item.membership_id).team_id
        try:  # the unique row is the claim: only one recipient's send posts to the channel
            with db.atomic():
                SlackChannelPost.create(team=team_id_db, local_date=item.local_date, channel=channel,
                                        created_at=self.clock())
        except IntegrityError:
            return
        try:
            answer = call(client.chat_postMessage, sleep=self.sleep, channel=channel, text=text, blocks=body,
                          unfurl_links=False)
        except Exception as error:  # noqa: BLE001 - the DMs matter more; let the next recipient's send try again
            log.warning("could not post the %s digest to %s: %s", item.team_slug, channel, error)
            SlackChannelPost.delete().where(SlackChannelPost.team == team_id_db,
                                            SlackChannelPost.local_date == item.local_date,
                                            SlackChannelPost.channel == channel).execute()
            return
        SlackChannelPost.update(ts=answer["ts"]).where(
            SlackChannelPost.team == team_id_db, SlackChannelPost.local_date == item.local_date,
            SlackChannelPost.channel == channel).execute()

    # -- reconciliation ------------------------------------------------------------------------------
    def reconcile(self, delivery_ids):
        """Which of these did Slack accept? Looks for our metadata in each DM's recent history."""
        answers = {}
        rows = Delivery.select(Delivery, Membership).join(Membership).where(Delivery.id.in_(list(delivery_ids)))
        for delivery in rows:
            try:
                answers[delivery.id] = self._find_in_dm(delivery)
            except Exception as error:  # Slack did not answer: leave it unknown, ask again next time
                log.warning("could not check Slack for delivery %s: %s", delivery.id, error)
        return answers

    def _find_in_dm(self, delivery):
        """The DM message carrying this delivery's metadata, as "channel:ts", or None."""
        for account in SlackUser.select().where(SlackUser.user == delivery.membership.user_id,
                                                SlackUser.dm_channel.is_null(False)):
            client = self.clients.for_team(account.team_id)
            if client is None:
                continue
            history = call(client.conversations_history, sleep=self.sleep, channel=account.dm_channel, limit=50,
                           include_all_metadata=True)
            for message in history.get("messages") or []:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if str(payload.get("delivery_id")) == str(delivery.id):
                    return f"{account.dm_channel}:{message['ts']}"
        return None
