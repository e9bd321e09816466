-- The environment scripts run in, built once per Lua VM (7.0's
-- luaRegisterRedisAPI + scriptingInit). Lua 5.1 has no read-only tables
-- (7.0 patches its Lua for them), so every library table scripts see is an
-- empty proxy whose metatable forwards reads and refuses writes; the raw
-- functions and `next` / `pairs` see through proxies.
--
-- Called with `prims`, the engine's Rust functions. Returns the globals
-- proxy, the table the engine sets its hook functions in, the error handler,
-- the protect function and the real globals table.
local prims = ...

local G = _G
local dbg = debug
local type, error, select, tostring, tonumber = type, error, select, tostring, tonumber
local raw_set, raw_get, raw_next = rawset, rawget, next
local raw_setmetatable, raw_loadstring, raw_load = setmetatable, loadstring, load
local raw_pcall, setfenv, unpack = pcall, setfenv, unpack
local floor, ceil = math.floor, math.ceil

local real_of = raw_setmetatable({}, { __mode = "k" })
local here = dbg.getinfo(1, "S").source

local function readonly()
  error("Attempt to modify a readonly table", 2)
end

-- A read-only view of `real`; `index` replaces plain forwarding of reads.
local function protect(real, index)
  local proxy, mt, mt_view = {}, {}, {}
  mt.__index = index or real
  mt.__newindex = readonly
  mt.__metatable = mt_view
  raw_setmetatable(mt_view, { __index = mt, __newindex = readonly, __metatable = false })
  real_of[proxy] = real
  real_of[mt_view] = mt
  return raw_setmetatable(proxy, mt)
end

-- The globals scripts see. Reads go from the proxy to S as a table (a
-- lookup that stays in the VM, as 7.0's read-only globals do), and only a
-- missing name reaches S's own __index, which raises.
local S = raw_setmetatable({}, {
  __index = function(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
  __metatable = false,
})
local env = protect(S)

local function pack(...)
  return { n = select("#", ...), ... }
end

for _, name in ipairs({ "assert", "collectgarbage", "error", "gcinfo", "getmetatable",
  "rawequal", "select", "tonumber", "tostring", "type", "unpack", "xpcall" }) do
  S[name] = G[name]
end
S._VERSION = G._VERSION
S._G = env

local function real(t)
  return real_of[t] or t
end

S.next = function(t, k)
  return raw_next(real(t), k)
end
S.pairs = function(t)
  return S.next, t, nil
end
S.ipairs = function(t)
  local r = real(t)
  return function(_, i)
    i = i + 1
    local v = raw_get(r, i)
    if v ~= nil then
      return i, v
    end
  end, t, 0
end
S.rawget = function(t, k)
  return raw_get(real(t), k)
end
S.rawset = function(t, k, v)
  if real_of[t] then
    error("Attempt to modify a readonly table", 0)
  end
  return raw_set(t, k, v)
end
S.setmetatable = function(t, m)
  if real_of[t] then
    error("Attempt to modify a readonly table", 0)
  end
  return raw_setmetatable(t, m)
end
-- Code a script loads runs in the script's globals too; binary chunks are
-- refused (7.0's Lua only loads text).
S.loadstring = function(s, name)
  if type(s) == "string" and s:byte(1) == 27 then
    return nil, "binary chunks are not allowed"
  end
  local f, e = raw_loadstring(s, name)
  if f then
    setfenv(f, env)
  end
  return f, e
end
S.load = function(fn, name)
  local f, e = raw_load(fn, name)
  if f then
    setfenv(f, env)
  end
  return f, e
end
-- redis.call raises a table; pcall gives its message, as 7.0's luaRedisPcall.
S.pcall = function(f, ...)
  local r = pack(raw_pcall(f, ...))
  if not r[1] and type(r[2]) == "userdata" then
    r[2] = prims.error_message(r[2])
  end
  if not r[1] and type(r[2]) == "table" and type(r[2].err) == "string" then
    return false, r[2].err
  end
  return unpack(r, 1, r.n)
end

-- Libraries: Lua's own, with math.random from Redis's generator.
local function toint(x)
  x = tonumber(x) or 0
  if x >= 0 then return floor(x) end
  return ceil(x)
end
local function checkint(n, fname, ...)
  local v = select(n, ...)
  if tonumber(v) == nil then
    local got = select("#", ...) < n and "no value" or type(v)
    error("bad argument #" .. n .. " to '" .. fname .. "' (number expected, got " .. got .. ")", 3)
  end
  return toint(v)
end
local math_real = {}
for k, v in raw_next, G.math do math_real[k] = v end
math_real.random = function(...)
  local n = select("#", ...)
  local r = prims.random()
  if n == 0 then
    return r
  elseif n == 1 then
    local u = checkint(1, "random", ...)
    if u < 1 then error("bad argument #1 to 'random' (interval is empty)", 2) end
    return floor(r * u) + 1
  elseif n == 2 then
    local l = checkint(1, "random", ...)
    local u = checkint(2, "random", ...)
    if l > u then error("bad argument #2 to 'random' (interval is empty)", 2) end
    return floor(r * (u - l + 1)) + l
  end
  error("wrong number of arguments", 2)
end
math_real.randomseed = function(...)
  prims.randomseed(checkint(1, "randomseed", ...))
end
S.math = protect(math_real)
S.string = protect(G.string)
S.table = protect(G.table)
S.coroutine = protect(G.coroutine)
for _, lib in ipairs({ "bit", "cjson", "cmsgpack", "struct" }) do
  if prims[lib] then
    S[lib] = protect(prims[lib])
  end
end

-- The functions runs use (call, log, setresp, set_repl, running), set by
-- the engine once; `running()` tells whether a script runs now.
local hooks = {}

-- luaPushErrorBuff: "-CODE msg" or "msg" as the error table 7.0 makes.
local function error_table(s)
  local code, msg = "ERR", s
  if s:sub(1, 1) == "-" then
    local sp = s:find(" ", 1, true)
    if sp then
      code, msg = s:sub(2, sp - 1), s:sub(sp + 1)
    else
      msg = s:sub(2)
    end
  end
  msg = msg:gsub("^[\r\n]+", ""):gsub("[\r\n]+$", "")
  return { err = code .. " " .. msg }
end

local function fail(msg)
  error(error_table(msg))
end

local function need_run(what)
  local f = hooks[what]
  if not (f and hooks.running()) then
    fail(what == "call" and "redis.call/pcall can only be called inside a script invocation"
      or ("redis." .. what .. " can only be called inside a script invocation"))
  end
  return f
end

local R = {}
-- In Rust, so that `return redis.call(...)` is no tail call: the error
-- names the script's line, as 7.0's C function does.
R.call = prims.call
R.pcall = prims.pcall
R.sha1hex = function(...)
  if select("#", ...) ~= 1 then fail("wrong number of arguments") end
  local s = ...
  return prims.sha1hex(type(s) == "number" and tostring(s) or s)
end
R.error_reply = function(...)
  local s = ...
  if select("#", ...) ~= 1 or type(s) ~= "string" then
    return error_table("wrong number or type of arguments")
  end
  if s:sub(1, 1) ~= "-" then s = "-" .. s end
  return error_table(s)
end
R.status_reply = function(...)
  local s = ...
  if select("#", ...) ~= 1 or type(s) ~= "string" then
    return error_table("wrong number or type of arguments")
  end
  return { ok = s }
end
R.log = function(...)
  local n = select("#", ...)
  if n < 2 then fail("redis.log() requires two arguments or more.") end
  local level = ...
  if tonumber(level) == nil then fail("First argument must be a number (log level).") end
  level = toint(level)
  if level < 0 or level > 3 then fail("Invalid debug level.") end
  local parts = {}
  for j = 2, n do
    local s = select(j, ...)
    if type(s) == "string" or type(s) == "number" then
      parts[#parts + 1] = (j ~= 2 and " " or "") .. s
    end
  end
  local f = hooks.log or prims.log
  f(level, table.concat(parts))
end
R.LOG_DEBUG, R.LOG_VERBOSE, R.LOG_NOTICE, R.LOG_WARNING = 0, 1, 2, 3
R.setresp = function(...)
  local f = need_run("setresp")
  if select("#", ...) ~= 1 then fail("redis.setresp() requires one argument.") end
  local resp = toint((...))
  if resp ~= 2 and resp ~= 3 then fail("RESP version must be 2 or 3.") end
  f(resp)
end
R.set_repl = function(...)
  local f = need_run("set_repl")
  if select("#", ...) ~= 1 then fail("redis.set_repl() requires two arguments.") end
  local flags = toint((...))
  if flags < 0 or flags > 3 then
    fail("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
  end
  f(flags)
end
R.REPL_NONE, R.REPL_AOF, R.REPL_SLAVE, R.REPL_REPLICA, R.REPL_ALL = 0, 1, 2, 2, 3
R.replicate_commands = function() return true end
R.breakpoint = function() return false end
R.debug = function() end
R.acl_check_cmd = function(...)
  if select("#", ...) == 0 then fail("Please specify at least one argument for this redis lib call") end
  if not prims.command_exists(...) then fail("Invalid command passed to redis.acl_check_cmd()") end
  local f = need_run("acl_check_cmd")
  local allowed = f(...)
  if type(allowed) == "string" then fail(allowed) end
  return allowed
end
R.REDIS_VERSION, R.REDIS_VERSION_NUM = prims.version, prims.version_num
S.redis = protect(R)

-- Functions (FUNCTION LOAD): a library's code runs with only a small
-- `redis` table (register_function, log, versions); its functions run in
-- the full environment, without KEYS and ARGV. Library code gets `fenv`,
-- whose reads go to one or the other (`set_loading`).
local function missing_in(t)
  return function(_, k)
    local v = raw_get(t, k)
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end
end
local LR = {}
LR.register_function = function(...)
  local reg = hooks.register
  if not reg then fail("redis.register_function can only be called on FUNCTION LOAD command") end
  local n = select("#", ...)
  if n < 1 or n > 2 then fail("wrong number of arguments to redis.register_function") end
  local name, desc, cb, flags = nil, nil, nil, {}
  local function str(v)
    if type(v) == "string" or type(v) == "number" then return tostring(v) end
  end
  if n == 1 then
    local t = ...
    if type(t) ~= "table" then
      fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
    end
    for k, v in S.next, t do
      if not str(k) then fail("named argument key given to redis.register_function is not a string") end
      local key = tostring(k):lower()
      if key == "function_name" then
        name = str(v)
        if not name then fail("function_name argument given to redis.register_function must be a string") end
      elseif key == "description" then
        desc = str(v)
        if not desc then fail("description argument given to redis.register_function must be a string") end
      elseif key == "callback" then
        if type(v) ~= "function" then fail("callback argument given to redis.register_function must be a function") end
        cb = v
      elseif key == "flags" then
        if type(v) ~= "table" then
          fail("flags argument to redis.register_function must be a table representing function flags")
        end
        local j = 1
        while v[j] ~= nil do
          local f = str(v[j])
          if not f then fail("unknown flag given") end
          flags[j] = f
          j = j + 1
        end
      else
        fail("unknown argument given to redis.register_function")
      end
    end
    if not name then fail("redis.register_function must get a function name argument") end
    if not cb then fail("redis.register_function must get a callback argument") end
  else
    local a, b = ...
    name = str(a)
    if not name then fail("first argument to redis.register_function must be a string") end
    if type(b) ~= "function" then fail("second argument to redis.register_function must be a function") end
    cb = b
  end
  local err = reg(name, desc, cb, flags)
  if err then fail(err) end
end
LR.log = R.log
LR.LOG_DEBUG, LR.LOG_VERBOSE, LR.LOG_NOTICE, LR.LOG_WARNING = 0, 1, 2, 3
LR.REDIS_VERSION, LR.REDIS_VERSION_NUM = R.REDIS_VERSION, R.REDIS_VERSION_NUM
local LOAD = { redis = protect(LR, missing_in(LR)) }
local load_env = protect(LOAD, missing_in(LOAD))
local fenv_mt = { __index = env, __newindex = readonly }
fenv_mt.__metatable = protect(fenv_mt)
local fenv = raw_setmetatable({}, fenv_mt)
real_of[fenv] = S
local function set_loading(loading)
  fenv_mt.__index = loading and load_env or env
end

-- scriptingInit's __redis__err__handler: adds where the error happened. The
-- frames of C functions and of this file are skipped, so a failing
-- redis.call reports the script's line.
local function err_handler(err)
  local level = 2
  local i = dbg.getinfo(level, "nSl")
  while i and (i.what == "C" or i.source == here) do
    level = level + 1
    i = dbg.getinfo(level, "nSl")
  end
  if type(err) == "userdata" then
    -- A library function's error, positioned as luaL_error positions it.
    err = prims.error_message(err)
  end
  if type(err) ~= "table" then
    err = { err = "ERR " .. tostring(err) }
  end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end
S.__redis__err__handler = err_handler

-- Runs a compiled script (EVAL: no arguments) or a function (keys, args).
local xpcall = xpcall
local function run(f, keys, args, is_function)
  if is_function then
    return xpcall(function() return f(keys, args) end, err_handler)
  end
  return xpcall(f, err_handler)
end

return env, hooks, run, protect, S, fenv, set_loading
