-- name: athena_load_rollup
-- The roll-up an Athena run returned (UNLOAD Parquet, downloaded to $files) as temp table
-- `batch_rollup`, exactly as rollup_batch.sql leaves it for rollup_insert.sql and the samples:
-- each key and hour once (the sample join cannot duplicate a row, this makes sure), and the
-- key_hash that rollup_batch.sql computes (DuckDB's hash; the same expression, checked by
-- tests/test_athena_engine.py); the sample_* columns ride along unread. Rows of the learned
-- listeners and addresses (direction 'listener'/'address', athena_learned.py) are not roll-up.
-- Parameters: $files (VARCHAR[]).
CREATE OR REPLACE TEMP TABLE batch_rollup AS
SELECT DISTINCT ON (interface_id, direction, basis, protocol, local_addr, service_port,
                    remote_addr, hour_index)
       *, hash(interface_id, direction, protocol, service_port, remote_addr) AS key_hash
FROM read_parquet($files)
WHERE direction IN ('inbound', 'outbound');
