"""From a plan to a production change: tickets, dry-run, apply, rollback, verify (issue 5).

Rendering (`ticket`, `report`, `terraform`, `awscli`) is pure; `awscheck`, `apply` and `rollback`
are the only modules here that write to (or ask) AWS, always through `sgharden.aws.clients`.
"""
