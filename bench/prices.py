"""Published AWS list prices used for the cost estimate: US East (N. Virginia), us-east-1, USD.

Looked up on 2026-11-26 from the pages cited; where only a secondary page was found its address is
given with the official page it quotes. Free tiers are ignored (the estimate is the marginal cost).
"""

from __future__ import annotations

REGION = "us-east-1"
LOOKED_UP = "2026-11-26"

PRICES = {
    "dynamodb_wru": {
        "usd": 0.625 / 1e6,
        "unit": "write request unit (on-demand, Standard table class)",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per million WRU since the "
        "2024-11-01 on-demand price cut; the figure as quoted in "
        "https://airbyte.com/data-engineering-resources/dynamodb-pricing)",
    },
    "dynamodb_rru": {
        "usd": 0.125 / 1e6,
        "unit": "read request unit (on-demand, Standard table class)",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.125 per million RRU; same sources)",
    },
    "dynamodb_storage_gb_month": {
        "usd": 0.25,
        "unit": "GB-month of table storage (Standard table class; first 25 GB free, ignored)",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/ "
        "(from memory, not re-checked: $0.25/GB-month)",
    },
    "eventbridge_custom_event": {
        "usd": 1.00 / 1e6,
        "unit": "custom event published to a bus (per 64 KB chunk)",
        "source": "https://aws.amazon.com/eventbridge/pricing/ ($1.00 per million custom events, "
        "as quoted in "
        "https://blog.awsfundamentals.com/aws-eventbridge-pricing-guide and "
        "https://cloudburn.io/blog/amazon-eventbridge-pricing)",
    },
    "ses_email": {
        "usd": 0.10 / 1000,
        "unit": "outbound email (a-la-carte pricing, no attachments)",
        "source": "https://aws.amazon.com/ses/pricing/ ($0.10 per 1,000 emails, as quoted in "
        "https://www.acecloudinterviews.com/tutorials/aws/ses/; SES also offers named plans since 2026-07)",
    },
    "lambda_request": {
        "usd": 0.20 / 1e6,
        "unit": "Lambda request",
        "source": "https://aws.amazon.com/lambda/pricing/ ($0.20 per million requests, as quoted in "
        "https://cloudchipr.com/blog/aws-lambda-pricing)",
    },
    "lambda_gb_second_arm64": {
        "usd": 0.0000133334,
        "unit": "GB-second of Lambda duration on arm64 (first 7.5 billion GB-s a month)",
        "source": "https://aws.amazon.com/lambda/pricing/ ($0.0000133334 per GB-s, Arm, as quoted in "
        "https://cloudchipr.com/blog/aws-lambda-pricing); the INIT phase is billed as duration too",
    },
    "secretsmanager_api_call": {
        "usd": 0.05 / 10000,
        "unit": "Secrets Manager API call",
        "source": "https://aws.amazon.com/secrets-manager/pricing/ ($0.05 per 10,000 API calls and $0.40 per "
        "secret-month, as quoted in https://hivebook.wiki/wiki/aws-secrets-manager-rotated-secrets-dynamic-db-credentials-kms)",
    },
    "secretsmanager_secret_month": {
        "usd": 0.40,
        "unit": "secret stored for a month",
        "source": "same as secretsmanager_api_call",
    },
    "apigateway_http_request": {
        "usd": 1.00 / 1e6,
        "unit": "HTTP API request (first 300 million a month)",
        "source": "https://aws.amazon.com/api-gateway/pricing/ "
        "(from memory, not re-checked: $1.00 per million)",
    },
}

# Latency assumed for one request from a Lambda function to each service in the same region, used only
# to turn request counts into billed Lambda duration (moto answers in-process, far faster than AWS).
ASSUMED_LATENCY_MS = {
    "dynamodb": 8.0,
    "dynamodb.TransactWriteItems": 20.0,
    "events": 20.0,
    "sesv2": 60.0,
    "secretsmanager": 25.0,
}


def usd(key: str, quantity: float) -> float:
    return PRICES[key]["usd"] * quantity  # type: ignore[operator]


def latency_ms(service: str, operation: str) -> float:
    return ASSUMED_LATENCY_MS.get(f"{service}.{operation}", ASSUMED_LATENCY_MS.get(service, 10.0))
