-- Store a new session unless its join code is in use (RedisBackend.create_session).
-- KEYS: 1 definition, 2 state hash, 3 tombstone, 4.. leftovers to clear (log, presence, ballots, tallies)
-- ARGV: 1 definition JSON, 2 current question ('' for none), 3 open, 4 results visible,
--       5 results on phones, 6 resets, 7 epoch, 8 now, 9 retention in ms
-- Returns 1 if stored, 0 if the code is taken.
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[9])
redis.call('HSET', KEYS[2], 'current', ARGV[2], 'open', ARGV[3], 'visible', ARGV[4], 'phones', ARGV[5],
  'resets', ARGV[6], 'epoch', ARGV[7], 'seq', 1, 'active', ARGV[8], 'lost', '0')
redis.call('PEXPIRE', KEYS[2], ARGV[9])
return 1
