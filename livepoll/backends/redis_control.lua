-- Apply one host control (RedisBackend.change_session) as a compare-and-set: the process read the session
-- at control version `cv`, the model decided the change, and it is stored only if no other control came in
-- between (else -1: read again and decide again). Ballots do not move `cv`, so a burst of votes never
-- makes a control retry; controls from many screens and processes are applied one after the other.
-- An edit that depends on a question's stored ballots (they must fit the new definition) also names the
-- question's tally and the ballot version ('#') it read: a ballot stored since then makes it retry (-1).
-- KEYS: 1 state hash, 2 definition, then ARGV[6] keys to delete (the per-question keys of reset or deleted
--       questions), then per mark change: its marks hash and its question's tally (whose version moves),
--       then per guard: a tally hash
-- ARGV: 1 the control version read, 2 the new definition JSON ('' if unchanged), 3 now, 4 retention in ms,
--       5 notice channel, 6 how many keys to delete, 7 how many mark changes, 8 how many guards, then per
--       mark change: field, mark ('' removes it), then per guard: the ballot version read ('' none), then
--       field, value pairs of the new live state (dv included)
-- Returns the session's new version, 0 if there is no such session, -1 if another control or a ballot
-- that the edit depends on came first.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cv = redis.call('HGET', KEYS[1], 'cv') or '0'
if cv ~= ARGV[1] then return -1 end
local cleared, marks, guards = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
for g = 1, guards do
  local version = redis.call('HGET', KEYS[2 + cleared + 2 * marks + g], '#') or ''
  if version ~= ARGV[8 + 2 * marks + g] then return -1 end
end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4]) end
for i = 3, 2 + cleared do redis.call('DEL', KEYS[i]) end
for j = 1, marks do
  local key, tally = KEYS[1 + cleared + 2 * j], KEYS[2 + cleared + 2 * j]
  local field, mark = ARGV[7 + 2 * j], ARGV[8 + 2 * j]
  if mark == '' then
    redis.call('HDEL', key, field)
  else
    redis.call('HSET', key, field, mark)
    redis.call('PEXPIRE', key, ARGV[4])
  end
  redis.call('HINCRBY', tally, '#', 1)
  redis.call('PEXPIRE', tally, ARGV[4])
end
redis.call('HSET', KEYS[1], 'active', ARGV[3], unpack(ARGV, 9 + 2 * marks + guards))
redis.call('HINCRBY', KEYS[1], 'cv', 1)
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5], seq)
return seq
