-- name: athena_table_text_gz
-- Athena DDL (not DuckDB): flow logs delivered as gzip text in the plain S3 layout
-- (AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/), one space-separated record a line after a
-- header line, partitions by projection on account, region and date, as in the AWS documentation
-- ("Create a table for VPC flow logs" with partition projection). The columns must be the flow
-- log's format in order: this table is the default format plus the v3-v5 fields most used.
-- Placeholders (validated, see athena_tables.py): {database} {table} {location} {accounts}
-- {regions} {first_day} (yyyy/MM/dd).
CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}` (
  `version` int, `account_id` string, `interface_id` string, `srcaddr` string, `dstaddr` string,
  `srcport` int, `dstport` int, `protocol` bigint, `packets` bigint, `bytes` bigint,
  `start` bigint, `end` bigint, `action` string, `log_status` string, `tcp_flags` int,
  `flow_direction` string
)
PARTITIONED BY (`aws_account_id` string, `aws_region` string, `date` string)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '
LOCATION '{location}'
TBLPROPERTIES (
  'skip.header.line.count' = '1',
  'projection.enabled' = 'true',
  'projection.aws_account_id.type' = 'enum',
  'projection.aws_account_id.values' = '{accounts}',
  'projection.aws_region.type' = 'enum',
  'projection.aws_region.values' = '{regions}',
  'projection.date.type' = 'date',
  'projection.date.format' = 'yyyy/MM/dd',
  'projection.date.range' = '{first_day},NOW',
  'projection.date.interval' = '1',
  'projection.date.interval.unit' = 'DAYS',
  'storage.location.template' = '{location}${aws_account_id}/vpcflowlogs/${aws_region}/${date}'
)
