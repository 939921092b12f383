-- bench/sign_load.lua — wrk script of bench/sign_load.sh: authenticated POST /v1/keys/{id}/sign-transaction with a
-- Neo N3 NEP-17 GAS transfer (TestNet magic; the key's own address as recipient), one fixed request for every
-- call (set up once, so wrk sends pre-built bytes and the Lua VM costs nothing per request).
--
-- Environment (set by sign_load.sh):
--   SIGN_LOAD_KEY_ID      the secp256r1 key's id                        (required)
--   SIGN_LOAD_CREDENTIAL  API key or access token, sent as "Bearer ..." (required)
--   SIGN_LOAD_TO          the recipient N3 address                      (required for signing)
--   SIGN_LOAD_GET         if set: GET this path instead, with the same credential (the "auth, no signing"
--                         baseline of the same run)
local function need(name)
  local v = os.getenv(name)
  if v == nil or v == "" then error("sign_load.lua: " .. name .. " is not set") end
  return v
end

local key_id = need("SIGN_LOAD_KEY_ID")
wrk.headers["Authorization"] = "Bearer " .. need("SIGN_LOAD_CREDENTIAL")

local get_path = os.getenv("SIGN_LOAD_GET")
if get_path ~= nil and get_path ~= "" then
  wrk.method = "GET"
  wrk.path = get_path
else
  wrk.method = "POST"
  wrk.path = "/v1/keys/" .. key_id .. "/sign-transaction"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = string.format(
    '{"chain":"neo","network_magic":894710606,' ..
    '"transfer":{"asset":"GAS","to":"%s","amount":"150000000"},' ..
    '"valid_until_block":5000,"system_fee":"997775"}', need("SIGN_LOAD_TO"))
end
