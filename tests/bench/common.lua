-- Shared by the benchmark's wrk scripts: numbers each thread, counts non-2xx
-- answers per thread, and prints one machine-readable summary line at the end.
-- Settings come from the environment: BENCH_TOKEN (Bearer token).
local threads = {}
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("tid", nthreads)
   threads[nthreads] = thread
end

non2xx = 0
tid = 0

function count_status(status)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
   local bad = 0
   for _, t in ipairs(threads) do
      bad = bad + (t:get("non2xx") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      "BENCHJSON {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, " ..
      "\"p50_us\": %d, \"p90_us\": %d, \"p99_us\": %d, \"max_us\": %d, " ..
      "\"mean_us\": %.1f, \"non2xx\": %d, \"connect\": %d, \"read\": %d, " ..
      "\"write\": %d, \"timeout\": %d}\n",
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, bad, e.connect, e.read, e.write, e.timeout))
end
