-- name: pass_tie_winners
-- The sample of each tied key (temp table `sample_ties`, sql/pass_sample_ties.sql): of its
-- candidates, the first read in the object, as the stage-based path picks it. Reads temp table
-- `tie_stage`: the tied objects read again (only the tied seconds), in read order (rowid).
-- Writes temp table `tie_winners` (key_hash, the record). No parameters.
CREATE OR REPLACE TEMP TABLE tie_winners AS
SELECT t.key_hash,
       arg_min(struct_pack(version := r.version, account_id := r.account_id,
                           interface_id := r.interface_id, srcaddr := r.srcaddr,
                           dstaddr := r.dstaddr, srcport := r.srcport, dstport := r.dstport,
                           protocol := r.protocol, packets := r.packets, bytes := r.bytes,
                           start := r.start, "end" := r."end", action := r.action,
                           log_status := r.log_status, source := r.source),
               r.rowid) AS rec
FROM sample_ties t
JOIN tie_stage r ON r.source = t.source AND r.start = t.start
WHERE list_contains(t.contents,
                    sample_content(r.srcaddr, r.dstaddr, r.srcport, r.dstport, r.packets, r.bytes,
                                   r."end", r.action, r.version, r.account_id, r.log_status,
                                   r.source))
GROUP BY t.key_hash;
