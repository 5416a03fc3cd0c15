"""The ATS webhooks: one module per source (the `/webhooks/<source>` path segment), each a pure
parser from signed bytes to `Parsed`, its payload described by pydantic models (see `fields`).

Nothing is imported here: `registry.SOURCES` imports a source's module when its first webhook
arrives, so a cold start pays only for the ATS it serves.
"""
