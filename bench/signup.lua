-- signup.lua — wrk script: POSTs valid public signups to /signup.
--
-- Each request is a complete signup with a unique email (thread id +
-- a per-thread counter), so every one creates a new person: the benchmark
-- measures the real write path (validation, dedupe lookups, encryption,
-- group-committed SQLite write) rather than a cache. The CSRF cookie and
-- its token come from the environment (bench/run.sh fetches them once);
-- the server is started with ONRAMP_SIGNUP_RATE=0 so the per-IP limit
-- does not apply.
--
-- At the end it prints, for bench/run.sh to read:
--   status <code> <count>   for every HTTP status seen
--   p50_us <n> / p99_us <n> latency percentiles in microseconds
--   requests <n> / seconds <n>

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("id", next_id)
   table.insert(threads, thread)
end

function init(args)
   token = os.getenv("ONRAMP_BENCH_CSRF_TOKEN")
   cookie = os.getenv("ONRAMP_BENCH_CSRF_COOKIE")
   if token == nil or cookie == nil then
      error("set ONRAMP_BENCH_CSRF_TOKEN and ONRAMP_BENCH_CSRF_COOKIE")
   end
   counter = 0
   statuses = {}
   headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = "onramp_csrf=" .. cookie,
   }
end

function request()
   counter = counter + 1
   local body = "csrf=" .. token
      .. "&source=bench&ref=&website="
      .. "&first_name=Bench&last_name=Runner" .. id
      .. "&email=bench-" .. id .. "-" .. counter .. "%40example.org"
      .. "&city=Oakland&state=CA&zip=94612"
      .. "&office_interests=school_board&office_interests=county"
      .. "&help_wanted=training&consent_email=1"
      .. "&why_run=Load+testing+the+signup+path."
   return wrk.format("POST", "/signup", headers, body)
end

function response(status, hdrs, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, t in ipairs(threads) do
      local s = t:get("statuses")
      for code, n in pairs(s) do
         total[code] = (total[code] or 0) + n
      end
   end
   for code, n in pairs(total) do
      io.write(string.format("status %d %d\n", code, n))
   end
   io.write(string.format("p50_us %d\n", latency:percentile(50)))
   io.write(string.format("p99_us %d\n", latency:percentile(99)))
   io.write(string.format("requests %d\n", summary.requests))
   io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
   io.write(string.format("socket_errors %d\n", summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
