-- name: athena_load_samples
-- The sample records an Athena run returned with its roll-up (columns sample_*, downloaded to
-- $files) as temp table `stage`, one per record id `rid`, for samples_insert.sql (which the engine
-- runs with `s.rid` in place of DuckDB's `s.rowid`). Parameters: $files (VARCHAR[]).
CREATE OR REPLACE TEMP TABLE stage AS
SELECT DISTINCT ON (sample_rid) sample_rid AS rid,
       COLUMNS('^sample_(.+)$') AS '\1'
FROM read_parquet($files)
WHERE sample_rid IS NOT NULL AND sample_interface_id IS NOT NULL;
