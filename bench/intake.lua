-- intake.lua — wrk script: POSTs JSON leads to POST /intake/KEY of many forms.
--
-- The form paths come from the file named by ONRAMP_BENCH_FORMS (one
-- "/intake/KEY" per line; bench/intake.sh makes 300 forms). Every request
-- picks a form at random and posts a lead in the form's own names (the
-- mapping turns them into person fields; "utm_source" stays a custom
-- field). About 30% of the leads repeat an earlier person of the same
-- thread by a variant: the same email in other casing and spacing, or the
-- same phone in another format with a new email — so the dedupe merges
-- them instead of creating people.
--
-- At the end it prints, for bench/intake.sh:
--   status <code> <count>, new <n>, repeats <n>, p50_us, p99_us,
--   requests, seconds, socket_errors

local threads = {}
local next_id = 0
local areas = { "206", "415", "510", "312", "617", "718", "303", "512" }

function setup(thread)
   next_id = next_id + 1
   thread:set("id", next_id)
   table.insert(threads, thread)
end

function init(args)
   local file = os.getenv("ONRAMP_BENCH_FORMS")
   if file == nil then error("set ONRAMP_BENCH_FORMS") end
   forms = {}
   for line in io.lines(file) do
      if #line > 0 then table.insert(forms, line) end
   end
   if #forms == 0 then error("no forms in " .. file) end
   math.randomseed(id * 7919 + os.time())
   counter = 0
   fresh = 0
   repeats = 0
   statuses = {}
   area = areas[(id - 1) % #areas + 1]
   headers = { ["Content-Type"] = "application/json" }
end

-- The phone of this thread's n-th new person: unique per thread.
local function phone(n)
   local exchange = 200 + (id * 100 + math.floor(n / 10000)) % 800
   return string.format("%s%03d%04d", area, exchange, n % 10000)
end

function request()
   counter = counter + 1
   local form = forms[math.random(#forms)]
   local email, tel
   if fresh > 10 and math.random() < 0.3 then
      repeats = repeats + 1
      local n = math.random(fresh)
      local p = phone(n)
      if math.random() < 0.5 then
         email = string.format("  Lead-%d-%d@Example.ORG ", id, n)
         tel = ""
      else
         email = string.format("lead-%d-%d-alt%d@example.org", id, n, counter)
         tel = string.format("(%s) %s-%s", p:sub(1, 3), p:sub(4, 6), p:sub(7, 10))
      end
   else
      fresh = fresh + 1
      email = string.format("lead-%d-%d@example.org", id, fresh)
      tel = "+1" .. phone(fresh)
   end
   local body = string.format(
      '{"First Name":"Bench","Last Name":"Lead%d","Email":"%s","Phone":"%s",'
      .. '"Zip":"94612","State":"CA","utm_source":"bench"}', id, email, tel)
   return wrk.format("POST", form, headers, body)
end

function response(status, hdrs, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total, fresh_all, rep_all = {}, 0, 0
   for _, t in ipairs(threads) do
      local s = t:get("statuses")
      for code, n in pairs(s) do
         total[code] = (total[code] or 0) + n
      end
      fresh_all = fresh_all + t:get("fresh")
      rep_all = rep_all + t:get("repeats")
   end
   for code, n in pairs(total) do
      io.write(string.format("status %d %d\n", code, n))
   end
   io.write(string.format("new %d\n", fresh_all))
   io.write(string.format("repeats %d\n", rep_all))
   io.write(string.format("p50_us %d\n", latency:percentile(50)))
   io.write(string.format("p99_us %d\n", latency:percentile(99)))
   io.write(string.format("requests %d\n", summary.requests))
   io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
   io.write(string.format("socket_errors %d\n", summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
