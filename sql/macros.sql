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
