# SPDX-License-Identifier: Apache-2.0
"""Flask app serving a TorchScript model over OIP v2, for gunicorn with one
sync worker:

  BENCH_MODEL=m.pt BENCH_CONFIG=m.json gunicorn -w 1 -k sync \
      --chdir bench/peers -b 127.0.0.1:PORT flask_server:app
"""
from flask import Flask, jsonify, request

from common import OipModel

model = OipModel()
app = Flask(__name__)


@app.post("/v2/models/<name>/infer")
def infer(name):
    if name != model.name:
        return jsonify({"error": "unknown model " + name}), 404
    try:
        return jsonify(model.infer(request.get_data()))
    except (ValueError, KeyError, TypeError, RuntimeError) as e:
        return jsonify({"error": str(e)}), 400


@app.get("/v2/health/ready")
def ready():
    return jsonify({"ready": True})
