"""Self-tests of the loopback fakes against the real client libraries."""
