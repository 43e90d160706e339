"""Schemathesis hooks for drupe's documents: `text/json` and `text/x-json` are JSON (drupe
negotiates them for old clients), so their bodies are checked against the schemas too."""

import json

import schemathesis


@schemathesis.deserializer("text/json", "text/x-json")
def json_text(ctx, response):
    return json.loads(response.content)
