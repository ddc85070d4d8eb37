-- name: record_check
-- The fast path's typed check of a flow-log value: the grammar of the line parser
-- (flowlogs/textparse.py, declared in flowlogs/fields.py), in SQL. DuckDB's CSV reader reads every
-- checked field as VARCHAR (its own casts take `4_43`, `+443`, `4e3`, `0x1F`, `-1`); ingest ANDs
-- these per field of the header (flowlogs/record_check.py) and sends any object holding a record
-- that fails to the line parser, which keeps the bad lines aside in `rejects` with their line
-- number and reason. So a check only has to be sound: it may refuse a value the line parser takes
-- (that object is then read line by line, with the same result), never take one it refuses.
-- No parameters. `-` (nullstr) arrives as NULL and is valid everywhere, as in the line parser.

-- INTEGER/BIGINT: ASCII digits (not `4_43`, `+443`, `٤٤٣`) up to largest (fields.largest_value);
-- v is TRY_CAST(t AS the column's type), NULL beyond the type's range.
CREATE OR REPLACE TEMP MACRO flow_uint_ok(t, v, largest) AS
    t IS NULL OR (v IS NOT NULL AND v <= largest AND regexp_full_match(t, '[0-9]+'));

-- An address as ipaddress takes it without zone index (`fe80::1%eth0`) or prefix (`/24`):
-- dotted IPv4 with octets 0-255 and no leading zeros; IPv6 of hex groups with at most one `::`.
-- Not IPv6 with an IPv4 tail (::ffff:1.2.3.4): the line parser refuses it too (ip_hex has no form).
CREATE OR REPLACE TEMP MACRO flow_addr_ok(t) AS
    t IS NULL OR CASE
        WHEN contains(t, ':') THEN regexp_full_match(t,
            '([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|([0-9A-Fa-f]{1,4}:){1,7}:'
            || '|[0-9A-Fa-f]{1,4}:(:[0-9A-Fa-f]{1,4}){1,6}'
            || '|([0-9A-Fa-f]{1,4}:){1,2}(:[0-9A-Fa-f]{1,4}){1,5}'
            || '|([0-9A-Fa-f]{1,4}:){1,3}(:[0-9A-Fa-f]{1,4}){1,4}'
            || '|([0-9A-Fa-f]{1,4}:){1,4}(:[0-9A-Fa-f]{1,4}){1,3}'
            || '|([0-9A-Fa-f]{1,4}:){1,5}(:[0-9A-Fa-f]{1,4}){1,2}'
            || '|([0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}'
            || '|:((:[0-9A-Fa-f]{1,4}){1,7}|:)')
        ELSE regexp_full_match(t,
            '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}')
    END;

-- action and log-status: exactly what AWS writes (fields.ACTIONS, fields.LOG_STATUSES).
CREATE OR REPLACE TEMP MACRO flow_action_ok(t) AS t IS NULL OR t IN ('ACCEPT', 'REJECT');
CREATE OR REPLACE TEMP MACRO flow_status_ok(t) AS t IS NULL OR t IN ('OK', 'NODATA', 'SKIPDATA');

-- Other fields (ids, region, unknown fields) are text on both paths: both split a line at spaces
-- only, so a tab or a no-break space stays inside the field on either.
