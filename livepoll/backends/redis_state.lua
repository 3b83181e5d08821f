-- Replace a session's live state and announce the new version (RedisBackend.set_state).
-- KEYS: 1 state hash, 2 definition
-- ARGV: 1 current question ('' for none), 2 open, 3 results visible, 4 results on phones, 5 resets, 6 now,
--       7 retention in ms, 8 notice channel
-- Returns the new version, or 0 if there is no such session.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'current', ARGV[1], 'open', ARGV[2], 'visible', ARGV[3], 'phones', ARGV[4],
  'resets', ARGV[5], 'active', ARGV[6])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call('PUBLISH', ARGV[8], seq)
return seq
