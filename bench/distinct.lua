-- wrk script for the cache-bound check: every request names another album, so each one is a
-- new URI for the output cache (the unknown ones are 404s, which are stored too).
wrk.headers["Accept"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/services/rest/album/" .. n)
end
