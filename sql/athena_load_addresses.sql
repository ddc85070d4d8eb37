-- name: athena_load_addresses
-- The addresses an Athena run inferred (rows with direction 'address' in its roll-up result,
-- downloaded to $files) into `interface_addresses` with origin 'inferred', for interfaces that
-- have none there yet, as infer_addresses.sql does locally. Parameters: $files (VARCHAR[]).
INSERT INTO interface_addresses
SELECT DISTINCT interface_id, local_addr, 'inferred'
FROM read_parquet($files)
WHERE direction = 'address' AND interface_id IS NOT NULL AND local_addr IS NOT NULL
  AND interface_id NOT IN (SELECT interface_id FROM interface_addresses);
