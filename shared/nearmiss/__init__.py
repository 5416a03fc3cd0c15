"""Near Miss: the follow-up playbook after a final-round rejection.

Layers, pointing inward only:
    nearmiss.domain    pure models, playbook, timing, mail composition, tokens (no boto3)
    nearmiss.service   use cases; depend on the ports in nearmiss.service.ports
    nearmiss.adapters  DynamoDB store, SES mailer, EventBridge publisher (boto3)
    nearmiss.bootstrap the one composition root that builds adapters lazily
"""
