-- name: athena_load_listeners
-- The listeners an Athena run knew (the workspace's and those learned from its records, rows
-- with direction 'listener' in its roll-up result, downloaded to $files) into `listeners`, as
-- learn_listeners.sql accumulates them locally. Parameters: $files (VARCHAR[]).
INSERT OR IGNORE INTO listeners
SELECT DISTINCT interface_id, protocol, service_port
FROM read_parquet($files)
WHERE direction = 'listener'
  AND interface_id IS NOT NULL AND protocol IS NOT NULL AND service_port IS NOT NULL;
