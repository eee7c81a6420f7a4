-- POST /api/auth/token/ with the benchmark user's password: case (e).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "POST"
wrk.path = "/api/auth/token/"
wrk.headers["Authorization"] = nil
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"username":"%s","password":"%s"}',
   os.getenv("BENCH_USER"), os.getenv("BENCH_PASSWORD"))

function response(status, headers, body)
   count_status(status)
end
