-- name: ocsf_stage
-- Amazon Security Lake's VPC flow records (OCSF 1.x Network Activity, class_uid 4001) as the
-- flow-log fields the stage holds. It reads Security Lake's documented mapping (ocsf/examples,
-- mappings/markdown/AWS/v1.1.0/VPC Flowlogs, the one AWS links for source version 2) backwards:
--   interface-id sits on dst_endpoint for ingress records and on src_endpoint for egress ones;
--   src_endpoint.ip is pkt-srcaddr when it differs from srcaddr, which then goes to
--   src_endpoint.intermediate_ips (likewise dst): srcaddr is intermediate_ips[1], else ip;
--   OCSF times are milliseconds (timestamp_t), flow-log times seconds;
--   action_id / disposition_id 1 = Allowed (ACCEPT), 2 = Denied / Blocked (REJECT);
--   connection_info.direction_id 1 = Inbound (ingress), 2 = Outbound (egress).
-- Reads `ocsf_records`: locally a temp table of the Parquet objects, in Athena the lake's Glue
-- table (sgharden.flowlogs.ocsf rewrites the name). Columns the objects lack are read as NULL by
-- the caller. No parameters. Records of another class are not flow records: skipped.
SELECT
    TRY_CAST(metadata.product.version AS INTEGER) AS version,
    cloud.account.uid AS account_id,
    CASE connection_info.direction_id
        WHEN 1 THEN dst_endpoint.interface_uid
        WHEN 2 THEN src_endpoint.interface_uid
        ELSE coalesce(src_endpoint.interface_uid, dst_endpoint.interface_uid)
    END AS interface_id,
    coalesce(src_endpoint.intermediate_ips[1], src_endpoint.ip) AS srcaddr,
    coalesce(dst_endpoint.intermediate_ips[1], dst_endpoint.ip) AS dstaddr,
    src_endpoint.port AS srcport,
    dst_endpoint.port AS dstport,
    connection_info.protocol_num AS protocol,
    traffic.packets AS packets,
    traffic.bytes AS bytes,
    coalesce(start_time, "time") // 1000 AS start,
    end_time // 1000 AS "end",
    CASE
        WHEN action_id = 1 THEN 'ACCEPT'
        WHEN action_id = 2 THEN 'REJECT'
        WHEN disposition_id = 1 THEN 'ACCEPT'
        WHEN disposition_id = 2 THEN 'REJECT'
    END AS action,
    status_code AS log_status,
    connection_info.tcp_flags AS tcp_flags,
    CASE connection_info.direction_id WHEN 1 THEN 'ingress' WHEN 2 THEN 'egress' END
        AS flow_direction,
    cloud.region AS region,
    CASE connection_info.direction_id
        WHEN 1 THEN dst_endpoint.vpc_uid
        ELSE coalesce(src_endpoint.vpc_uid, dst_endpoint.vpc_uid)
    END AS vpc_id,
    CASE connection_info.direction_id
        WHEN 1 THEN dst_endpoint.subnet_uid
        ELSE coalesce(src_endpoint.subnet_uid, dst_endpoint.subnet_uid)
    END AS subnet_id,
    CASE connection_info.direction_id
        WHEN 1 THEN dst_endpoint.instance_uid
        ELSE coalesce(src_endpoint.instance_uid, dst_endpoint.instance_uid)
    END AS instance_id,
    src_endpoint.ip AS pkt_srcaddr,
    dst_endpoint.ip AS pkt_dstaddr,
    cloud.zone AS az_id,
    src_endpoint.svc_name AS pkt_src_aws_service,
    dst_endpoint.svc_name AS pkt_dst_aws_service
FROM ocsf_records
WHERE class_uid = 4001;
