# SPDX-License-Identifier: Apache-2.0
"""FastAPI + uvicorn (uvloop, httptools), one worker, serving a TorchScript
model over OIP v2: POST /v2/models/{name}/infer. The model runs inline in
the event loop (an `async def` route), which is the fastest FastAPI shape
for a tiny model (a plain `def` route would hop to a thread pool).

  BENCH_MODEL=m.pt BENCH_CONFIG=m.json python3 fastapi_server.py PORT
"""
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from common import OipModel

model = OipModel()
app = FastAPI()


@app.post("/v2/models/{name}/infer")
async def infer(name: str, request: Request):
    if name != model.name:
        return JSONResponse({"error": "unknown model " + name}, status_code=404)
    try:
        return JSONResponse(model.infer(await request.body()))
    except (ValueError, KeyError, TypeError, RuntimeError) as e:
        return JSONResponse({"error": str(e)}, status_code=400)


@app.get("/v2/health/ready")
async def ready():
    return {"ready": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), workers=1, loop="uvloop",
                http="httptools", log_level="warning", access_log=False)
