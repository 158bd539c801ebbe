"""Schemathesis hooks for Patron's contract run (loaded through SCHEMATHESIS_HOOKS)."""

import uuid

import schemathesis


def _valid_key(value):
    return isinstance(value, str) and 0 < len(value) <= 255 and all("!" <= c <= "~" for c in value)


@schemathesis.hook
def map_headers(ctx, headers):
    """Give each request a valid Idempotency-Key of its own, as a client does.

    Generated keys repeat (Hypothesis favours short strings), and Patron rightly answers a
    reused key with the first request's stored answer or a 422; replays and mismatches are
    tested in server/tests/it/idempotency.rs instead. An invalid key, generated to be refused,
    is left as it is.
    """
    if headers and _valid_key(headers.get("Idempotency-Key")):
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return headers
