-- SPDX-License-Identifier: Apache-2.0
-- wrk script: POSTs one fixed body with fixed headers, and prints a
-- machine-readable summary line after the run.
--
--   wrk -t1 -c16 -d10s --latency -s bench/wrk/post.lua URL -- BODY_FILE ['Header: value' ...]
--
-- or through the environment (arguments win):
--   WRK_BODY_FILE=body.json WRK_HEADERS=$'Authorization: Bearer k\nX-Other: v' wrk ... -s post.lua URL
--
-- Content-Type defaults to application/json. The last line printed is
--   WRKRESULT requests=N duration_us=N non2xx=N connect=N read=N write=N timeout=N p50_us=N p90_us=N p99_us=N max_us=N
-- (latency percentiles from wrk's histogram, in microseconds).

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error("post.lua: cannot read body file '" .. tostring(path) .. "': " .. tostring(err)) end
  local s = f:read("*a")
  f:close()
  return s
end

local function add_header(line)
  local name, value = line:match("^%s*([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

function init(args)
  local body_file = args[1] or os.getenv("WRK_BODY_FILE")
  if not body_file or body_file == "" then
    error("post.lua: give the body file as the first script argument or in WRK_BODY_FILE")
  end
  wrk.method = "POST"
  wrk.body = read_file(body_file)
  wrk.headers["Content-Type"] = "application/json"
  local env_headers = os.getenv("WRK_HEADERS")
  if env_headers then
    for line in env_headers:gmatch("[^\n]+") do add_header(line) end
  end
  for i = 2, #args do add_header(args[i]) end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
