-- SPDX-License-Identifier: Apache-2.0
-- wrk script for scripts/soak: POSTs one body with a key that may change
-- during the run, counts responses by status, and prints a summary.
--
--   SOAK_KEY_FILE=key SOAK_BODY_FILE=body.json wrk -t2 -c8 -d60s -s bench/wrk/soak.lua URL
--
-- Each thread re-reads SOAK_KEY_FILE (one line: the key) once a second and
-- sends `Authorization: Bearer <key>` from then on, so a key can be rotated
-- under load: write the other (still valid) key to the file, wait a few
-- seconds, then regenerate the old one. The last lines printed are
--   SOAKSTATUS <code> <count>                       (one per status seen)
--   SOAKRESULT requests=N duration_us=N connect=N read=N write=N timeout=N p50_us=N p99_us=N max_us=N

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function read_file(path, what)
  local f, err = io.open(path, "rb")
  if not f then error("soak.lua: cannot read " .. what .. " '" .. tostring(path) .. "': " .. tostring(err)) end
  local s = f:read("*a")
  f:close()
  return s
end

local key_file, key, request_bytes, last_check

function init(args)
  counts = {}  -- global: the main thread reads it with thread:get("counts")
  key_file = os.getenv("SOAK_KEY_FILE")
  if not key_file or key_file == "" then error("soak.lua: set SOAK_KEY_FILE") end
  wrk.method = "POST"
  wrk.body = read_file(os.getenv("SOAK_BODY_FILE") or "", "SOAK_BODY_FILE")
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local now = os.time()
  if now ~= last_check then
    last_check = now
    local k = read_file(key_file, "SOAK_KEY_FILE"):match("^%s*(.-)%s*$")
    if k ~= "" and k ~= key then
      key = k
      wrk.headers["Authorization"] = "Bearer " .. key
      request_bytes = wrk.format()
    end
  end
  return request_bytes
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    if c then
      for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
    end
  end
  for status, n in pairs(total) do io.write(string.format("SOAKSTATUS %d %d\n", status, n)) end
  local e = summary.errors
  io.write(string.format(
    "SOAKRESULT requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
