"""Schemathesis hooks for drupe's documents: `text/json` and `text/x-json` are JSON (drupe
negotiates them for old clients), so their bodies are checked against the schemas too."""

import json
import struct
import zlib

import schemathesis


@schemathesis.deserializer("text/json", "text/x-json")
def json_text(ctx, response):
    return json.loads(response.content)


# A 1×1 grey PNG: the photoblog takes images only (PNG, JPEG, GIF, WebP), which a schema
# cannot say of a binary field, so an upload the fuzzer means to be valid carries a real image.
def _png():
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


PNG = _png()


@schemathesis.hook
def map_body(ctx, body):
    if isinstance(body, dict) and "file" in body:
        body["file"] = PNG
    return body
