-- One address's budget of wrong guesses, shared by every process (see backends/guesses.py, which does the
-- same arithmetic in memory for the embedded backend: keep the two in step).
-- KEYS[1]: the bucket, a hash {level, at, till} (times in ms of Redis's own clock, one clock for all
--          processes); it expires when the bucket would be full again, so no address outlives its need.
-- ARGV: misses (0: only ask), burst, refill per second, cooling period in ms.
-- Returns: the milliseconds the address must still wait before it may guess again (0: it may).
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local misses = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local per_ms = tonumber(ARGV[3]) / 1000
local cooling = tonumber(ARGV[4])
local saved = redis.call('HMGET', KEYS[1], 'level', 'at', 'till')
local level = tonumber(saved[1]) or burst
local at = tonumber(saved[2]) or now
local till = tonumber(saved[3]) or 0
if misses > 0 then
  level = math.min(burst, level + math.max(0, now - at) * per_ms) - misses
  if level < 0 then
    till = math.max(till, now + math.max(cooling, math.ceil(-level / per_ms)))
  end
  local full_again = math.max(till - now, math.ceil((burst - level) / per_ms), 1)
  redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now), 'till', tostring(till))
  redis.call('PEXPIRE', KEYS[1], full_again)
end
return math.max(0, till - now)
