"""The plan: schema constants and statuses (schema.py), the analysis side that writes it
(write.py) and the reader every later step uses (read.py). docs/plan-schema.md is its contract."""
