"""Delivery of recheck events: EventBridge PutEvents, SNS Publish, or a Slack-style webhook.

`--notify eventbridge:BUS`, `sns:TOPIC-ARN` or `webhook:https://...`. Only the events given are
sent (the command passes the ones not notified before); nothing is sent when there are none.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from sgharden.aws.clients import AwsContext
from sgharden.change.recheck import Event, digest
from sgharden.errors import AwsAccessError, InputError

IAM_ACTIONS = ("events:PutEvents", "sns:Publish")
SOURCE = "sgharden"
DETAIL_TYPE = "sgharden recheck fact"


@dataclass(frozen=True)
class Target:
    kind: str  # eventbridge | sns | webhook
    address: str


def parse_target(text: str) -> Target:
    kind, _, address = text.partition(":")
    if kind not in ("eventbridge", "sns", "webhook") or not address:
        raise InputError(
            f"--notify {text!r}: expected eventbridge:BUS, sns:TOPIC-ARN or webhook:URL"
        )
    if kind == "webhook":
        url = urllib.parse.urlsplit(address)
        if url.scheme not in ("https", "http") or not url.netloc:
            raise InputError(f"--notify {text!r}: the webhook must be an http(s) URL")
    if kind == "sns" and not address.startswith("arn:"):
        raise InputError(f"--notify {text!r}: expected an SNS topic ARN (arn:aws:sns:...)")
    return Target(kind, address)


def deliver(target: Target, events: list[Event], ctx: AwsContext) -> int:
    """Send the events; returns how many were delivered."""
    if not events:
        return 0
    try:
        if target.kind == "eventbridge":
            client = ctx.client("events")
            sent = 0
            for start in range(0, len(events), 10):  # PutEvents takes at most 10 entries
                chunk = events[start : start + 10]
                response = client.put_events(
                    Entries=[
                        {
                            "Source": SOURCE,
                            "DetailType": DETAIL_TYPE,
                            "Detail": json.dumps(e.to_dict()),
                            "EventBusName": target.address,
                        }
                        for e in chunk
                    ]
                )
                sent += len(chunk) - int(response.get("FailedEntryCount", 0))
            return sent
        if target.kind == "sns":
            region = target.address.split(":")[3] or None
            ctx.client("sns", region=region).publish(
                TopicArn=target.address,
                Subject=f"sgharden recheck: {len(events)} new fact(s)",
                Message=digest(events),
            )
            return len(events)
    except (BotoCoreError, ClientError) as exc:
        raise AwsAccessError(f"--notify {target.kind}:{target.address}: {exc}") from None
    body = json.dumps({"text": digest(events)}).encode()
    request = urllib.request.Request(
        target.address, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(
            request, timeout=30
        ) as response:  # scheme checked in parse_target
            response.read()
    except (urllib.error.URLError, OSError) as exc:
        # a Slack-style URL is itself the secret: name only its host
        host = urllib.parse.urlsplit(target.address).netloc
        raise InputError(f"--notify webhook: delivery to {host} failed ({exc})") from None
    return len(events)
