-- Shared by the wrk scripts of the file-serving benchmark: one machine-readable
-- line at the end of a run, with exact byte and request counts (wrk's own summary
-- rounds them) and the per-thread 206 tallies of ranges.lua.
local M = { threads = {} }

function M.setup(thread)
  thread:set("id", #M.threads + 1)
  table.insert(M.threads, thread)
end

function M.done(summary, latency, requests)
  local ok, bad, first_bad = 0, 0, ""
  for _, t in ipairs(M.threads) do
    ok = ok + (t:get("ok") or 0)
    bad = bad + (t:get("bad") or 0)
    if first_bad == "" then first_bad = t:get("first_bad") or "" end
  end
  local e = summary.errors
  io.write(string.format(
    "VOD bytes=%d requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d ok=%d bad=%d first_bad=%s\n",
    summary.bytes, summary.requests, summary.duration, e.connect, e.read, e.write,
    e.status, e.timeout, ok, bad, first_bad ~= "" and first_bad or "-"))
end

return M
