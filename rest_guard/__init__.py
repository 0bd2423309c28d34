"""Strict JSON at the REST edge: Envoy asks it (ext_authz) before transcoding a request body.

Envoy's transcoder silently drops JSON fields the proto does not define and accepts some
wrong shapes; a client that misspells `idempotency_key` would never know. This guard parses
each REST body with the request message's own JSON mapping, unknown fields refused, and
answers 400 naming the field, or 200 to let the request through.
"""
