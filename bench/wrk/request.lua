-- One wrk script for every endpoint of bench/bench_wrk.py, configured by environment variables:
-- WRK_METHOD (GET), WRK_BODY (a JSON body), WRK_AUTH (an Authorization header value), WRK_PATH_PREFIX
-- (each request gets its own path: prefix .. thread .. "-" .. n .. WRK_PATH_SUFFIX, e.g. a new chat thread).
-- `done` prints one JSON line the runner parses.
local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
local auth = os.getenv("WRK_AUTH")
local prefix = os.getenv("WRK_PATH_PREFIX")
local suffix = os.getenv("WRK_PATH_SUFFIX") or ""

wrk.method = method
if body then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if auth then
  wrk.headers["Authorization"] = auth
end

local threads = {}
local counter = 0

setup = function(thread)  -- runs in the main Lua state; `tid` becomes a global of the thread's state
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

if prefix then
  request = function()
    counter = counter + 1
    return wrk.format(nil, prefix .. tostring(tid or 0) .. "-" .. tostring(counter) .. suffix)
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
