"""Adapters: the AWS side of the ports (boto3 lives here and in bootstrap only)."""
