-- PATCH /api/tasks/{id}/ with the updated_at last read: case (d).
-- BENCH_POOL names a file of "id updated_at" lines; each thread takes every
-- BENCH_THREADS-th task.  A task is handed to one request at a time: it
-- leaves the thread's pool when its request is written and comes back, with
-- the updated_at of the answer, when the answer arrives -- so every PATCH
-- carries the right updated_at and no two requests race for one task.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local pool, n = {}, 0
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"

function init(args)
   local nth = tonumber(os.getenv("BENCH_THREADS"))
   local i = 0
   for line in io.lines(os.getenv("BENCH_POOL")) do
      local id, at = line:match("^(%d+) (%S+)$")
      if id and i % nth == tid - 1 then
         pool[#pool + 1] = { id, at }
      end
      i = i + 1
   end
end

function request()
   local t = table.remove(pool)
   n = n + 1
   if t == nil then
      -- every task is in flight or was lost to an error answer: this
      -- request is not a PATCH, so it counts as an error
      non2xx = non2xx + 1
      return wrk.format("GET", "/api/tasks/", nil, nil)
   end
   local body = string.format('{"description":"edit %d-%d","updated_at":"%s"}',
      tid, n, t[2])
   return wrk.format("PATCH", "/api/tasks/" .. t[1] .. "/", nil, body)
end

function response(status, headers, body)
   count_status(status)
   if status == 200 then
      local id = body:match('"id":(%d+)')
      local at = body:match('"updated_at":"([^"]+)"')
      if id and at then
         pool[#pool + 1] = { id, at }
      end
   end
end
