-- GET of one fixed path (BENCH_PATH) with the Bearer token: cases (a), (b), (f).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH")

function response(status, headers, body)
   count_status(status)
end
