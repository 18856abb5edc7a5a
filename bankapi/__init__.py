"""The bank side of CardCare: the API contract (``openapi.yaml``) and a sandbox implementing it."""
