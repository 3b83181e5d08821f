-- Delete a whole session at once and leave a tombstone, so that no process rebuilds it from its cache
-- (RedisBackend.delete_session and expire_sessions).
-- KEYS: 1 tombstone, 2 state hash, 3 definition, 4.. every other key of the session
-- ARGV: 1 '' to delete unconditionally, or a UNIX time: delete only if the last activity is older,
--       2 tombstone lifetime in ms, 3 notice channel
-- Returns 1 if the session existed and is gone, 0 if there was none, -1 if it is still active.
if ARGV[1] ~= '' then
  local active = redis.call('HGET', KEYS[2], 'active')
  if active and tonumber(active) >= tonumber(ARGV[1]) then return -1 end
end
local existed = redis.call('EXISTS', KEYS[2], KEYS[3])
redis.call('DEL', unpack(KEYS, 2))
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
if existed > 0 then
  redis.call('PUBLISH', ARGV[3], 'deleted')
  return 1
end
return 0
