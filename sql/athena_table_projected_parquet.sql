-- name: athena_table_projected_parquet
-- Athena DDL (not DuckDB): Parquet flow logs with Hive-compatible prefixes, partitions found by
-- partition projection on account, region, date (year/month/day) and hour (no partition registration, no crawler),
-- as in the AWS documentation on partition projection for VPC flow logs.
-- Placeholders (validated, see athena_tables.py): {database} {table} {location} {accounts}
-- {regions} (comma-separated enum values) {first_year}.
-- The date is projected as year, month and day (the Hive prefixes' own names).
CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}` (
  `version` int, `account_id` string, `interface_id` string, `srcaddr` string, `dstaddr` string,
  `srcport` int, `dstport` int, `protocol` bigint, `packets` bigint, `bytes` bigint,
  `start` bigint, `end` bigint, `action` string, `log_status` string, `vpc_id` string,
  `subnet_id` string, `instance_id` string, `tcp_flags` int, `type` string,
  `pkt_srcaddr` string, `pkt_dstaddr` string, `region` string, `az_id` string,
  `sublocation_type` string, `sublocation_id` string, `pkt_src_aws_service` string,
  `pkt_dst_aws_service` string, `flow_direction` string, `traffic_path` int
)
PARTITIONED BY (
  `aws_account_id` string, `aws_region` string,
  `year` string, `month` string, `day` string, `hour` string
)
STORED AS PARQUET
LOCATION '{location}'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.aws_account_id.type' = 'enum',
  'projection.aws_account_id.values' = '{accounts}',
  'projection.aws_region.type' = 'enum',
  'projection.aws_region.values' = '{regions}',
  'projection.year.type' = 'integer',
  'projection.year.range' = '{first_year},2099',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'projection.day.type' = 'integer',
  'projection.day.range' = '1,31',
  'projection.day.digits' = '2',
  'projection.hour.type' = 'integer',
  'projection.hour.range' = '0,23',
  'projection.hour.digits' = '2',
  'storage.location.template' = '{location}aws-account-id=${aws_account_id}/aws-service=vpcflowlogs/aws-region=${aws_region}/year=${year}/month=${month}/day=${day}/hour=${hour}'
)
