"""What a body looks like, from its first bytes (no imports: the fetch path uses it)."""


def looks_like_html(head: bytes) -> bool:
    h = head[:2048].lstrip().lower()
    return h.startswith(b"<!doctype html") or h.startswith(b"<html") or b"<head" in h or b"<body" in h
