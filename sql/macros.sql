-- name: macros
-- Address helpers used by the roll-up and the matcher. No parameters.
-- ip_hex(addr): the address as fixed-width lower-case hex (IPv4: 8 digits, IPv6: 32), which sorts
-- like the number, so a CIDR match is `hex BETWEEN network_hex AND broadcast_hex` within a family.
-- IPv6 with an embedded IPv4 tail (::ffff:1.2.3.4) is not expanded: NULL (flow logs do not write it).
CREATE OR REPLACE TEMP MACRO v6_groups(part) AS
    CASE WHEN part = '' THEN []::VARCHAR[] ELSE string_split(part, ':') END;
CREATE OR REPLACE TEMP MACRO v6_pad(groups) AS
    array_to_string(list_transform(groups, g -> lpad(g, 4, '0')), '');
CREATE OR REPLACE TEMP MACRO v6_hex(a) AS
    CASE
        WHEN contains(a, '.') THEN NULL
        WHEN contains(a, '::') THEN
            v6_pad(v6_groups(split_part(a, '::', 1)))
            || repeat('0000', 8 - len(v6_groups(split_part(a, '::', 1)))
                              - len(v6_groups(split_part(a, '::', 2))))
            || v6_pad(v6_groups(split_part(a, '::', 2)))
        ELSE v6_pad(string_split(a, ':'))
    END;
CREATE OR REPLACE TEMP MACRO ip_family(a) AS CASE WHEN contains(a, ':') THEN 6 ELSE 4 END;
CREATE OR REPLACE TEMP MACRO ip_hex(a) AS
    CASE
        WHEN a IS NULL THEN NULL
        WHEN contains(a, ':') THEN lower(v6_hex(lower(a)))
        ELSE printf('%02x%02x%02x%02x',
                    split_part(a, '.', 1)::INTEGER, split_part(a, '.', 2)::INTEGER,
                    split_part(a, '.', 3)::INTEGER, split_part(a, '.', 4)::INTEGER)
    END;

-- probe_like(...): whether a roll-up row's inbound traffic looks like scanning, not use: TCP that
-- stays handshake-sized (bytes and packets per connection under the limits), carries no more
-- than a banner's worth of payload past the headers, or (optionally) got no answer; other
-- protocols: unanswered and small. The thresholds are the planner's `Thresholds`
-- (docs/planner.md); the one definition every query shares.
CREATE OR REPLACE TEMP MACRO probe_like(protocol, remote_family, connections, packets_in,
                                        bytes_in, packets_out, max_bytes_in, max_packets_in,
                                        max_payload_in, no_response) AS
    CASE WHEN protocol = 6 THEN
        (bytes_in <= max_bytes_in * greatest(connections, 1)
            AND packets_in <= max_packets_in * greatest(connections, 1))
        OR bytes_in - packets_in * (CASE WHEN remote_family = 6 THEN 60 ELSE 40 END)
            <= max_payload_in * greatest(connections, 1)
        OR (no_response AND packets_out = 0)
    ELSE packets_out = 0
        AND bytes_in <= max_bytes_in * greatest(connections, 1)
        AND packets_in <= max_packets_in * greatest(connections, 1)
    END;

-- hex_bits(h, n): the first n bits of a fixed-width hex address as a text key (equal keys: equal
-- n-bit prefixes); hex_bit(h, i): bit i of it, counted from the top (0-based). Used where a
-- prefix length is not a multiple of 4 (plan_cannot_narrow.sql).
CREATE OR REPLACE TEMP MACRO hex_bits(h, n) AS
    left(h, n // 4) || CASE WHEN n % 4 = 0 THEN ''
                            ELSE '/' || ((('0x' || substr(h, n // 4 + 1, 1))::INTEGER)
                                         >> (4 - n % 4))::VARCHAR END;
CREATE OR REPLACE TEMP MACRO hex_bit(h, i) AS
    ((('0x' || substr(h, i // 4 + 1, 1))::INTEGER) >> (3 - i % 4)) & 1;
