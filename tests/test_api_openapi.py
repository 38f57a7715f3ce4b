"""The OpenAPI document at /api/v1/openapi.json: valid JSON, every API route in it, the bearer
scheme, and the event body documented with the envelope the service layer accepts."""
import json

from gridgov.operations.events import ENVELOPE


def test_the_document_lists_every_route_with_the_bearer_scheme(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.get_data(as_text=True))
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "gridgov API"
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "a per-user API token"}
    assert spec["security"] == [{"bearerAuth": []}]
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops
                  if method in {"get", "post", "put", "patch", "delete"}}
    routed = {(rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}"), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/") and rule.endpoint != "api-docs.openapi_json"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed and routed == documented
    assert "/api/v1/tenants/{slug}/events/batch" in spec["paths"]


def test_the_event_body_is_documented_as_the_envelope_the_operation_accepts(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/tenants/{slug}/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EventIn"}
    assert set(spec["components"]["schemas"]["EventIn"]["properties"]) == set(ENVELOPE)
    batch = spec["paths"]["/api/v1/tenants/{slug}/events/batch"]["post"]["requestBody"]["content"]["application/json"]
    assert batch["schema"] == {"$ref": "#/components/schemas/EventBatchIn"}
