-- Store a new session unless its join code is in use (RedisBackend.create_session).
-- KEYS: 1 definition, 2 state hash, 3 tombstone, 4.. leftovers to clear (presence, ballots, tallies)
-- ARGV: 1 definition JSON, 2 epoch, 3 now, 4 retention in ms, then field, value pairs of the live state
-- Returns 1 if stored, 0 if the code is taken.
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then return 0 end
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('HSET', KEYS[2], 'epoch', ARGV[2], 'seq', 1, 'cv', 0, 'active', ARGV[3], 'lost', '0', unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
