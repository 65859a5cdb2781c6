"""A browsable page of the OpenAPI document, rendered on the server (no CDN, no JS build)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("apidocs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{_ref_name(schema.get('items'))}]"
    return schema.get("type", "")


@bp.route("/api/v1/docs")
def docs():
    spec = current_app.extensions["jiayuan.api"].spec.to_dict()
    groups: dict[str, list[dict]] = {}
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            responses = []
            for status, resp in sorted(op.get("responses", {}).items()):
                schema = (resp.get("content") or {}).get("application/json", {}).get("schema")
                responses.append({"status": status, "schema": _ref_name(schema),
                                  "description": resp.get("description", resp.get("$ref", "").rsplit("/", 1)[-1])})
            tag = (op.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "parameters": op.get("parameters", []) + item.get("parameters", []),
                "body": _ref_name(body), "responses": responses,
            })
    schemas = spec.get("components", {}).get("schemas", {})
    return render_template("api/docs.html", groups=groups, schemas=schemas, info=spec.get("info", {}))
