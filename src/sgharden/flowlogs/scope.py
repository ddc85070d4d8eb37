"""Which delivered flow-log objects a snapshot needs: only its accounts, regions, days and flow logs.

Flow-log buckets are usually shared by a whole organisation and hold years of objects. Listing
and reading all of it to plan one account's groups would be slow and costly, so the S3 key layout
(both the plain and the Hive-compatible one) and the object names narrow the listing:

  <prefix>/AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/...
  <prefix>/AWSLogs/aws-account-id=<acct>/aws-service=vpcflowlogs/aws-region=<region>/year=YYYY/month=MM/day=DD/...

and an object whose name carries a flow-log id is read only if that flow log is in the snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sgharden.flowlogs.sources import FlowLogObject, split_s3_url

# Past this many days, list per account/region instead of per day (fewer, longer listings).
MAX_DAY_PREFIXES = 120


@dataclass(frozen=True)
class Scope:
    prefixes: tuple[str, ...]  # s3:// URLs to list
    object_filter: Callable[[FlowLogObject], bool]


def _days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def s3_scope(
    url: str,
    accounts_regions: Iterable[tuple[str, str]],
    flow_log_ids: Iterable[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> Scope:
    """The prefixes to list under `url` and the filter that keeps only the snapshot's objects."""
    bucket, prefix = split_s3_url(url)
    base = f"s3://{bucket}/" + (prefix.rstrip("/") + "/" if prefix else "")
    pairs = sorted(set(accounts_regions))
    days = _days(since, until) if since and until and since <= until else []
    if len(days) > MAX_DAY_PREFIXES:
        days = []
    prefixes: list[str] = []
    for acct, region in pairs:
        plain = f"{base}AWSLogs/{acct}/vpcflowlogs/{region}/"
        hive = f"{base}AWSLogs/aws-account-id={acct}/aws-service=vpcflowlogs/aws-region={region}/"
        if days:
            for d in days:
                prefixes.append(f"{plain}{d:%Y/%m/%d}/")
                prefixes.append(f"{hive}year={d:%Y}/month={d:%m}/day={d:%d}/")
        else:
            prefixes += [plain, hive]
    wanted_pairs = set(pairs)
    wanted_logs = set(flow_log_ids)
    wanted_days = {d.isoformat() for d in days}

    def keep(obj: FlowLogObject) -> bool:
        if obj.account_id and obj.region and (obj.account_id, obj.region) not in wanted_pairs:
            return False
        if wanted_logs and obj.flow_log_id and obj.flow_log_id not in wanted_logs:
            return False
        return not (wanted_days and obj.day and obj.day not in wanted_days)

    return Scope(tuple(prefixes), keep)
