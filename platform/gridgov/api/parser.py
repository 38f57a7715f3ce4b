"""The webargs parser of the API: bodies are read by :func:`errors.read_json`, so a body parsed
for a marshmallow schema and a body passed raw to an operation (events) are refused for the
same reasons with the same messages."""
from __future__ import annotations

from webargs import core
from webargs.flaskparser import FlaskParser

from .errors import check_storable, read_json


class JSONBodyParser(FlaskParser):
    def load_json(self, req, schema):
        data = read_json(required=False)
        return core.missing if data is None else data

    def load_querystring(self, req, schema):
        for name, value in req.args.items(multi=True):
            check_storable({name: value}, "query")
        return super().load_querystring(req, schema)
