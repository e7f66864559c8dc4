-- Sliding-window rate limit for one API key over several windows, atomically.
--
-- Each window is a hash of bucketed counters (field = bucket index, value = requests counted in
-- that bucket); a request counts while its bucket is inside the window. The request is counted
-- in every window, or in none when any window is exhausted (refused requests are not counted).
--
-- KEYS[i]   the hash of window i (all keys share a {hash tag}, so this also runs on a cluster)
-- ARGV[3i-2], ARGV[3i-1], ARGV[3i]   limit, bucket width (ms) and bucket count of window i
-- Returns {allowed, count_1, reset_ms_1, retry_ms_1, count_2, ...}: count includes this request
-- when allowed; reset_ms is when the oldest counted bucket leaves the window (0 when empty);
-- retry_ms is when a request would be allowed again, or -1 when the window is not exhausted.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local windows = {}
local allowed = 1
for i = 1, #KEYS do
  local limit = tonumber(ARGV[3 * i - 2])
  local width = tonumber(ARGV[3 * i - 1])
  local buckets = tonumber(ARGV[3 * i])
  local current = math.floor(now / width)
  local first = current - buckets + 1
  local fields = redis.call('HGETALL', KEYS[i])
  local live, stale, total = {}, {}, 0
  for j = 1, #fields, 2 do
    local index = tonumber(fields[j])
    if index < first then
      stale[#stale + 1] = fields[j]
    else
      local hits = tonumber(fields[j + 1])
      live[#live + 1] = {index, hits}
      total = total + hits
    end
  end
  if #stale > 0 then
    redis.call('HDEL', KEYS[i], unpack(stale))
  end
  table.sort(live, function(a, b) return a[1] < b[1] end)
  windows[i] = {limit = limit, width = width, buckets = buckets, current = current,
                live = live, total = total}
  if total >= limit then
    allowed = 0
  end
end

local result = {allowed}
for i = 1, #KEYS do
  local w = windows[i]
  local retry = -1
  if allowed == 1 then
    redis.call('HINCRBY', KEYS[i], w.current, 1)
    redis.call('PEXPIRE', KEYS[i], w.width * (w.buckets + 1))
    w.total = w.total + 1
  elseif w.total >= w.limit then
    -- The earliest moment enough old buckets have left for one more request to fit.
    local left = w.total
    for _, bucket in ipairs(w.live) do
      left = left - bucket[2]
      if left <= w.limit - 1 then
        retry = (bucket[1] + w.buckets) * w.width - now
        break
      end
    end
  end
  local reset = 0
  if w.total > 0 then
    local oldest = w.current
    if #w.live > 0 then
      oldest = w.live[1][1]
    end
    reset = (oldest + w.buckets) * w.width - now
  end
  result[#result + 1] = w.total
  result[#result + 1] = reset
  result[#result + 1] = retry
end
return result
