-- name: schema
-- The workspace: what ingest writes and everything after it reads. No parameters.
-- Addresses carry a numeric form fit for range matching in portable SQL: `*_family` (4 or 6) and
-- `*_hex`, the address as fixed-width lower-case hex (8 digits for IPv4, 32 for IPv6), which
-- compares in the same order as the number (CIDR match = hex BETWEEN network AND broadcast).

-- One row per object read (file or S3 key). Re-ingest skips an object whose (source, size, version)
-- is already here, so the same object is never counted twice.
CREATE TABLE IF NOT EXISTS ingested_objects (
    source        VARCHAR NOT NULL,     -- absolute path or s3://bucket/key
    size          BIGINT,
    version       VARCHAR,              -- S3 ETag, or the file's mtime (ns) for local files
    kind          VARCHAR,              -- text | text-gz | parquet | cloudwatch-json | other
    account_id    VARCHAR,              -- from the key layout / object name when present
    region        VARCHAR,
    flow_log_id   VARCHAR,
    records       BIGINT,               -- data rows accepted (OK + NODATA + SKIPDATA)
    rejected      BIGINT,               -- lines/rows kept aside in `rejects`
    ingested_at   TIMESTAMP,
    PRIMARY KEY (source, version)
);

-- Everything that could not be read as a flow record, with where it came from. Never dropped.
CREATE TABLE IF NOT EXISTS rejects (
    source        VARCHAR NOT NULL,
    line          BIGINT,               -- 1-based line in the (decompressed) object; NULL for a whole object
    reason        VARCHAR NOT NULL,
    raw           VARCHAR,              -- the offending text, cut to 1000 characters
    rejected_at   TIMESTAMP
);

-- The compact roll-up that all analysis reads. One row per key per hour.
-- direction: the connection as seen from the interface:
--   inbound  = a remote peer opened it to the interface (the interface is the responder);
--   outbound = the interface opened it; the other records of the connection (responses) are
--              folded into the same row, never counted as use of an inbound rule.
-- service_port: the responder's port (inbound: the interface's port; outbound: the remote's);
--   NULL for protocols without ports. The initiator's (ephemeral) ports are counted in
--   `connections` and kept in rollup_client_ports, so that later batches count them distinct.
-- basis: how direction was decided: tcp-flags | listener | port | first-packet (see docs/ingest.md)
CREATE TABLE IF NOT EXISTS flow_rollup (
    account_id    VARCHAR,
    region        VARCHAR,
    interface_id  VARCHAR NOT NULL,
    direction     VARCHAR NOT NULL,     -- inbound | outbound
    basis         VARCHAR NOT NULL,
    protocol      INTEGER NOT NULL,
    local_addr    VARCHAR,
    service_port  INTEGER,
    remote_addr   VARCHAR NOT NULL,
    remote_family TINYINT NOT NULL,
    remote_hex    VARCHAR NOT NULL,
    hour          TIMESTAMP NOT NULL,   -- UTC hour of the records' start
    records       BIGINT NOT NULL,
    connections   BIGINT NOT NULL,      -- distinct initiator ports new in this row (see below)
    packets_in    BIGINT NOT NULL,      -- remote -> interface
    bytes_in      BIGINT NOT NULL,
    packets_out   BIGINT NOT NULL,      -- interface -> remote
    bytes_out     BIGINT NOT NULL,
    accepted      BIGINT NOT NULL,      -- records with action ACCEPT
    rejected      BIGINT NOT NULL,      -- records with action REJECT
    tcp_flags     INTEGER,              -- OR of the tcp-flags of the connection's records
    first_seen    TIMESTAMP NOT NULL,
    last_seen     TIMESTAMP NOT NULL
);

-- The initiator (client) ports each key saw in each hour, so that a connection counts once
-- however its hour's records were split over ingest batches or runs (docs/planner.md, "What a
-- connection count is"). rollup_insert.sql writes each port once per key and hour, in the batch
-- that first saw it, and gives that batch's flow_rollup row the connection: summed over rows, a
-- key's `connections` in an hour is the number of its distinct client ports (plus, for records
-- without ports — ICMP, a format without srcport/dstport — the records that open one).
CREATE TABLE IF NOT EXISTS rollup_client_ports (
    key_hash      UBIGINT NOT NULL,     -- rollup_batch.sql's hash of (interface_id, direction,
                                        -- protocol, service_port, remote_addr)
    hour_index    BIGINT NOT NULL,      -- epoch seconds // 3600 of flow_rollup.hour
    ports         USMALLINT[] NOT NULL  -- the ports a flow_rollup row was the first to see
);

-- A bounded sample of raw records: one per inbound connection key (interface, protocol, service
-- port, remote address; not per hour), the earliest ingested, for evidence. Stored typed (cheaper to
-- write than text); the view `flow_samples` renders each as a record in the default v2 field order.
CREATE TABLE IF NOT EXISTS flow_sample_records (
    key_hash      UBIGINT NOT NULL,     -- hash of the key: cheap "already sampled?" lookups
    direction     VARCHAR NOT NULL,
    service_port  INTEGER,
    is_rx         BOOLEAN NOT NULL,     -- the record travels remote -> interface
    version       INTEGER,
    account_id    VARCHAR,
    interface_id  VARCHAR NOT NULL,
    srcaddr       VARCHAR,
    dstaddr       VARCHAR,
    srcport       INTEGER,
    dstport       INTEGER,
    protocol      INTEGER NOT NULL,
    packets       BIGINT,
    bytes         BIGINT,
    start         BIGINT,
    "end"         BIGINT,
    action        VARCHAR,
    log_status    VARCHAR,
    source        VARCHAR
);
CREATE OR REPLACE VIEW flow_samples AS
SELECT interface_id, direction, protocol, service_port,
       CASE WHEN is_rx THEN srcaddr ELSE dstaddr END AS remote_addr,
       concat_ws(' ',
           coalesce(version::VARCHAR, '-'), coalesce(account_id, '-'), interface_id,
           coalesce(srcaddr, '-'), coalesce(dstaddr, '-'), coalesce(srcport::VARCHAR, '-'),
           coalesce(dstport::VARCHAR, '-'), protocol::VARCHAR, coalesce(packets::VARCHAR, '-'),
           coalesce(bytes::VARCHAR, '-'), coalesce(start::VARCHAR, '-'),
           coalesce("end"::VARCHAR, '-'), coalesce(action, '-'), coalesce(log_status, '-')
       ) AS record,
       source,
       make_timestamp(start * 1000000) AS start_time,
       key_hash
FROM flow_sample_records;

-- Coverage facts: per interface and hour, what the flow log delivered. An hour with no row at all
-- for an interface that should be logged is a delivery gap. NODATA means "logged, no traffic";
-- SKIPDATA means records were lost in that interval (capacity or internal error).
CREATE TABLE IF NOT EXISTS interface_hours (
    account_id     VARCHAR,
    region         VARCHAR,
    interface_id   VARCHAR NOT NULL,
    hour           TIMESTAMP NOT NULL,
    ok_records     BIGINT NOT NULL,
    nodata_records BIGINT NOT NULL,
    skipdata_records BIGINT NOT NULL
);

-- NODATA / SKIPDATA intervals as delivered (coverage facts, not traffic).
CREATE TABLE IF NOT EXISTS coverage_events (
    account_id    VARCHAR,
    region        VARCHAR,
    interface_id  VARCHAR NOT NULL,
    log_status    VARCHAR NOT NULL,     -- NODATA | SKIPDATA
    start_time    TIMESTAMP,
    end_time      TIMESTAMP,
    source        VARCHAR
);

-- The addresses each interface answers on: from a snapshot's inventory when known, else inferred
-- from the records (the address present in the most records of the interface).
CREATE TABLE IF NOT EXISTS interface_addresses (
    interface_id  VARCHAR NOT NULL,
    address       VARCHAR NOT NULL,
    origin        VARCHAR NOT NULL      -- inventory | inferred
);

-- Ports the interface was seen answering on (SYN-ACK sent), learned across ingests: later records
-- of long-lived connections, which carry no flags, stay attributed to their service port.
CREATE TABLE IF NOT EXISTS listeners (
    interface_id  VARCHAR NOT NULL,
    protocol      INTEGER NOT NULL,
    port          INTEGER NOT NULL,
    PRIMARY KEY (interface_id, protocol, port)
);
