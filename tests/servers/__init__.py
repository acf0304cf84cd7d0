"""Real loopback servers that tests (and other test modules) share."""
