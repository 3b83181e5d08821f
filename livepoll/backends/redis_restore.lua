-- Rebuild a session whose keys are gone (Redis restarted empty, or lost them) from a process's cached
-- definition: a new epoch, zero tallies, and 'lost' set so that snapshots say the state was lost.
-- KEYS: 1 tombstone, 2 state hash, 3 definition, 4.. the keys of the old epoch to clear (log, ballots, tallies)
-- ARGV: 1 definition JSON, 2 current question ('' for none), 3 open, 4 results visible,
--       5 results on phones, 6 resets, 7 new epoch, 8 now, 9 retention in ms, 10 notice channel
-- Returns 2 if rebuilt, 1 if the session was there after all, 0 if it was deleted on purpose.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[9]) end
  return 1
end
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[9])
redis.call('HSET', KEYS[2], 'current', ARGV[2], 'open', ARGV[3], 'visible', ARGV[4], 'phones', ARGV[5],
  'resets', ARGV[6], 'epoch', ARGV[7], 'seq', 1, 'active', ARGV[8], 'lost', '1')
redis.call('PEXPIRE', KEYS[2], ARGV[9])
redis.call('PUBLISH', ARGV[10], 1)
return 2
