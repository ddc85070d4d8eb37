"""sgharden: harden AWS security groups from evidence (Security Hub findings + VPC Flow Logs)."""

__version__ = "0.1.0"
