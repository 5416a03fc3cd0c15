"""The domain: pure Python, no AWS SDK, no I/O."""
