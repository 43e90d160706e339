-- wrk script for the album benchmark: ask for JSON, as the photoblog's Ajax
-- client does (CherryPy's tools.accept and drupe's negotiation both look at it).
-- Usage: wrk -s bench/wrk.lua http://127.0.0.1:8099/services/rest/album/2
wrk.headers["Accept"] = "application/json"
-- Credentials for the servers that ask for them (load.sh sets it for Y alone).
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
