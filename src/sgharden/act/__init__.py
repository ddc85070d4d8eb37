"""The only code that writes to AWS: apply, rollback, staged rollout (stage, promote), the DryRun
checks, Security Hub workflow updates, recheck notifications, and the live reads they rest on.
Every client comes from `sgharden.aws.clients`; every command here declares its IAM actions."""
