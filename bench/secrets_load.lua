-- bench/secrets_load.lua — wrk script of bench/secrets_load.sh: the secrets store (KV) and transit encryption over
-- HTTP, one mode per wrk run, authenticated with "Authorization: Bearer <credential>".
--
-- Environment (set by secrets_load.sh):
--   SECRETS_LOAD_MODE        put | get | encrypt | decrypt                                       (required)
--   SECRETS_LOAD_CREDENTIAL  access token or API key                                             (required)
--   SECRETS_LOAD_PREFIX      put: paths written are <prefix>/<thread>-<counter>, a new path per request, so rows
--                            grow as in real use; get: paths read are <prefix>/0 .. <prefix>/<paths - 1>
--   SECRETS_LOAD_PATHS       get: how many pre-written paths to read round-robin (each thread starts elsewhere)
--   SECRETS_LOAD_KEY         encrypt / decrypt: the transit key's name
--   SECRETS_LOAD_PLAINTEXT   encrypt: the base64 plaintext
--   SECRETS_LOAD_CIPHERTEXT  decrypt: a ciphertext made by that key
--
-- put writes a ~100-byte JSON value ({"data": {...}}, 103 bytes of data) with the counter in it; get, encrypt and
-- decrypt send requests built once per thread (encrypt and decrypt one fixed request), so the Lua VM costs little.
local function need(name)
  local v = os.getenv(name)
  if v == nil or v == "" then error("secrets_load.lua: " .. name .. " is not set") end
  return v
end

local mode = need("SECRETS_LOAD_MODE")
wrk.headers["Authorization"] = "Bearer " .. need("SECRETS_LOAD_CREDENTIAL")

-- setup() runs in the main Lua state once per wrk thread, before they start: number the threads.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

if mode == "put" then
  local prefix = "/v1/secrets/" .. need("SECRETS_LOAD_PREFIX") .. "/"
  local n = 0
  local base
  wrk.headers["Content-Type"] = "application/json"
  function init(args)
    base = prefix .. tostring(thread_id or 0) .. "-"
  end
  function request()
    n = n + 1
    return wrk.format("PUT", base .. n, nil, string.format(
      '{"data":{"username":"svc-orders","password":"bench-%08d-Pz8Rt4Wn","host":"db1.internal:5432","db":"orders"}}',
      n % 100000000))
  end
elseif mode == "get" then
  local prefix = "/v1/secrets/" .. need("SECRETS_LOAD_PREFIX") .. "/"
  local count = tonumber(need("SECRETS_LOAD_PATHS"))
  local reqs, i = {}, 0
  wrk.method = "GET"
  function init(args)
    for k = 0, count - 1 do reqs[#reqs + 1] = wrk.format("GET", prefix .. k) end
    -- spread the threads over the paths: thread t starts at (t - 1) * count / 16 (mod count)
    i = ((thread_id or 1) - 1) * math.max(1, math.floor(count / 16)) % count
  end
  function request()
    i = i + 1
    if i > count then i = 1 end
    return reqs[i]
  end
elseif mode == "encrypt" then
  wrk.method = "POST"
  wrk.path = "/v1/transit/keys/" .. need("SECRETS_LOAD_KEY") .. "/encrypt"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"plaintext":"' .. need("SECRETS_LOAD_PLAINTEXT") .. '"}'
elseif mode == "decrypt" then
  wrk.method = "POST"
  wrk.path = "/v1/transit/keys/" .. need("SECRETS_LOAD_KEY") .. "/decrypt"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"ciphertext":"' .. need("SECRETS_LOAD_CIPHERTEXT") .. '"}'
else
  error("secrets_load.lua: SECRETS_LOAD_MODE must be put, get, encrypt or decrypt (got '" .. mode .. "')")
end
