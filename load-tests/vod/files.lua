-- Cases (a) and (b): GET the paths given after `--` in turn (one path: the same file
-- again and again). No response() hook, so wrk never buffers the bodies.
-- usage: wrk ... -s files.lua URL -- /path1 [/path2 ...]
local report = require("report")
setup, done = report.setup, report.done

local paths, i = {}, 0

function init(args)
  for _, p in ipairs(args) do paths[#paths + 1] = p end
  i = math.random(#paths) -- threads start at different segments
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
