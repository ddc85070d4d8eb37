-- name: athena_table_hive_parquet
-- Athena DDL (not DuckDB): a Glue table over VPC Flow Logs delivered as Parquet with
-- Hive-compatible S3 prefixes and hourly partitions, as in the AWS documentation ("Create tables
-- for flow logs in Apache Parquet format", the CloudFormation integration's columns).
-- Partitions are registered (MSCK REPAIR TABLE / ALTER TABLE ADD PARTITION / the integration).
-- Placeholders, filled by sgharden.flowlogs.engines.athena_tables after validation (Athena DDL takes
-- no parameters): {database} {table} (identifiers), {location} (s3://bucket/prefix/AWSLogs/).
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
  `aws-account-id` string, `aws-service` string, `aws-region` string,
  `year` string, `month` string, `day` string, `hour` string
)
STORED AS PARQUET
LOCATION '{location}'
TBLPROPERTIES ('EXTERNAL'='true')
