"""The raw messages SES stored in S3 (the receipt rule's S3 action), read back by receive_mail.

GetObject only (the function's role allows nothing else on the bucket). The size is read from the
answer's ContentLength before the body: a message over the limit is never read into memory.
"""

from __future__ import annotations

from typing import Any

from nearmiss.service.inbound import MailObject


class S3MailObjects:
    # The client is a boto3 S3 client (typed Any: the project carries no S3 stubs).
    def __init__(self, client: Any) -> None:
        self.client = client

    def read(self, bucket: str, key: str, *, max_bytes: int) -> MailObject:
        """The object's bytes, or only its size when it is over `max_bytes`; `missing` when there is
        no such object (deleted by the lifecycle rule before a very late redelivery). Any other
        error (throttling, access) raises: the invocation is retried."""
        try:
            answer = self.client.get_object(Bucket=bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return MailObject(size=0, raw=None, missing=True)
        body = answer["Body"]
        try:
            size = int(answer.get("ContentLength", 0))
            if size > max_bytes:
                return MailObject(size=size, raw=None)
            raw = body.read(max_bytes + 1)  # never more than the limit, whatever the header said
        finally:
            body.close()
        if len(raw) > max_bytes:
            return MailObject(size=len(raw), raw=None)
        return MailObject(size=len(raw), raw=raw)
