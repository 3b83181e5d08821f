-- Rebuild a session whose keys are gone (Redis restarted empty, or lost them) from a process's cached
-- definition: a new epoch, zero tallies, and 'lost' set so that snapshots say the state was lost.
-- KEYS: 1 tombstone, 2 state hash, 3 definition, 4.. the keys of the old epoch to clear (ballots, tallies)
-- ARGV: 1 definition JSON, 2 new epoch, 3 now, 4 retention in ms, 5 notice channel,
--       then field, value pairs of the live state
-- Returns 2 if rebuilt, 1 if the session was there after all, 0 if it was deleted on purpose.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4]) end
  return 1
end
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
redis.call('HSET', KEYS[2], 'epoch', ARGV[2], 'seq', 1, 'cv', 0, 'active', ARGV[3], 'lost', '1', unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5], 1)
return 2
