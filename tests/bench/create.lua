-- POST of a new, uniquely named task into one list (BENCH_PATH): case (c).
-- Names are unique across threads and runs: BENCH_NONCE-thread-counter.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local nonce = os.getenv("BENCH_NONCE") or "n"
local n = 0
local path = os.getenv("BENCH_PATH")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
   n = n + 1
   local body = string.format(
      '{"name":"bench %s-%d-%d","description":"created by the benchmark"}',
      nonce, tid, n)
   return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
   count_status(status)
end
