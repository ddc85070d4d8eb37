"""The one place boto3 clients are made.

Profile, region, an assumed role per member account, botocore retries (`standard` by default,
`adaptive` on request) and the standard environment — AWS_PROFILE, AWS_REGION/AWS_DEFAULT_REGION,
AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (honoured by botocore itself) — so that one setting
points every call, DuckDB's S3 reads included, at a test server.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 8
RETRY_MODES = ("standard", "adaptive")

# (botocore event name, handler): registered on every session this context makes, so that call
# tracing (and, in tests, recording the API calls made or injecting throttling) reaches every client.
EventHook = tuple[str, Callable[..., Any]]


@dataclass
class AwsContext:
    """How to reach AWS: a base session plus, per member account, an assumed-role session."""

    profile: str | None = None
    region: str | None = None
    role_name: str | None = None
    retry_mode: str = DEFAULT_RETRY_MODE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    hooks: tuple[EventHook, ...] = ()
    _base: boto3.session.Session | None = field(default=None, repr=False)
    _assumed: dict[str, boto3.session.Session] = field(default_factory=dict, repr=False)
    _caller: str | None = field(default=None, repr=False)

    def _hooked(self, session: boto3.session.Session) -> boto3.session.Session:
        for event_name, handler in self.hooks:
            session.events.register(event_name, handler)
        return session

    @property
    def config(self) -> Config:
        retries: Any = {"mode": self.retry_mode, "max_attempts": self.max_attempts}
        return Config(retries=retries)

    def base_session(self) -> boto3.session.Session:
        if self._base is None:
            self._base = self._hooked(
                boto3.session.Session(profile_name=self.profile, region_name=self.region)
            )
        return self._base

    def default_region(self) -> str:
        return self.region or self.base_session().region_name or "us-east-1"

    def session_for(self, account_id: str | None = None) -> boto3.session.Session:
        """The base session, or one that assumed `role_name` in `account_id` (cached)."""
        base = self.base_session()
        if not account_id or not self.role_name or account_id == self.caller_account():
            return base
        if account_id not in self._assumed:
            sts = base.client("sts", region_name=self.default_region(), config=self.config)
            creds = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/{self.role_name}",
                RoleSessionName="sgharden",
            )["Credentials"]
            self._assumed[account_id] = self._hooked(
                boto3.session.Session(
                    aws_access_key_id=creds["AccessKeyId"],
                    aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"],
                    region_name=self.default_region(),
                )
            )
        return self._assumed[account_id]

    def caller_account(self) -> str:
        """The account of the base credentials (asked once)."""
        if self._caller is None:
            base = self.base_session()
            sts = base.client("sts", region_name=self.default_region(), config=self.config)
            self._caller = str(sts.get_caller_identity()["Account"])
        return self._caller

    def client(self, service: Any, region: str | None = None, account_id: str | None = None) -> Any:
        session = self.session_for(account_id)
        return session.client(
            service, region_name=region or self.default_region(), config=self.config
        )


def s3_endpoint(session: boto3.session.Session | None = None) -> str | None:
    """The S3 endpoint override in force (AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL), if any."""
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
