-- Case (c): every request asks a fresh random range of LEN bytes of PATH (a file of
-- SIZE bytes): half of them aligned to LEN, half at any byte offset. A response
-- counts as good only if it is a 206 with exactly LEN bytes of body.
-- usage: wrk ... -s ranges.lua URL -- PATH SIZE LEN
local report = require("report")
setup, done = report.setup, report.done

local path, size, len
ok, bad, first_bad = 0, 0, ""

function init(args)
  path, size, len = args[1], tonumber(args[2]), tonumber(args[3])
  math.randomseed(os.time() * 1000 + (id or 0))
end

function request()
  local a
  if math.random() < 0.5 then
    a = math.random(0, math.floor(size / len) - 1) * len
  else
    a = math.random(0, size - len)
  end
  return wrk.format("GET", path, { ["Range"] = string.format("bytes=%d-%d", a, a + len - 1) })
end

function response(status, headers, body)
  if status == 206 and #body == len then
    ok = ok + 1
  else
    bad = bad + 1
    if first_bad == "" then first_bad = string.format("%d/%dB", status, #body) end
  end
end
