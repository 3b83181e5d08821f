-- Record how many participants of a session this process holds (RedisBackend.report_presence).
-- KEYS: 1 presence hash (process id -> 'count time')
-- ARGV: 1 process id, 2 count, 3 now, 4 lifetime of the hash in ms, 5 notice channel
-- Announces a change of this process's count (not a version: presence is not part of the stored state).
local previous = redis.call('HGET', KEYS[1], ARGV[1])
local before = previous and string.match(previous, '^%S+') or '0'
if ARGV[2] == '0' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
if before ~= ARGV[2] then redis.call('PUBLISH', ARGV[5], 'presence') end
return 1
