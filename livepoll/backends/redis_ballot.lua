-- Store a group of ballots on one question of one session, atomically against the session's live state
-- (RedisBackend.cast_ballot; the group commit puts each batch's ballots for one question into one call).
-- Kind-blind: a ballot is a canonical value plus the counts it adds to the tally (model.Answer); the
-- script adds them, and takes away those of the voter's previous ballot.
-- Idempotent per voter: running it again with the same ballot stores it once (the second run answers
-- 'unchanged', even once voting closed), which is what makes a resend after a lost reply safe.
-- KEYS: 1 state hash, 2 the question's ballots hash (voter -> value RS counts RS cast_at),
--       3 the question's tally hash (count key -> sum), 4 when each '~' count key first appeared
-- ARGV: 1 question id, 2 '1' if changes are allowed, 3 now, 4 retention in ms, 5 definition version ('' any),
--       6 gate ('' the question must be current and open, its deadline not passed by Redis's clock;
--       '@' any question while voting is open (a self-paced session); '*' always; else a state field that
--       must be '1'),
--       7 the session's notice channel ('' none): the new version is published there when a ballot was
--       accepted, inside the script, so the notice never goes out before the store nor costs a round trip,
--       then per ballot: voter, value, counts (key US amount US ...), cast_at, expected ('' unconditional,
--       '-' only if the voter has no ballot, '=' .. value only if that is the stored value)
-- Returns {seq, outcome per ballot...}; seq is the session's new version if a ballot was accepted, else 0.
local RS, US = '\030', '\031'
local FIRST = 8
local count = (#ARGV - FIRST + 1) / 5
local outcomes = {0}
local live = redis.call('HMGET', KEYS[1], 'seq', 'current', 'open', 'dv', 'deadline')
local refusal = nil
local gate = ARGV[6]
if not live[1] then
  refusal = 'no_session'
elseif ARGV[5] ~= '' and (live[4] or '1') ~= ARGV[5] then
  refusal = 'stale'
elseif gate == '' or gate == '@' then
  if gate == '' and live[2] ~= ARGV[1] then
    refusal = 'not_current'
  elseif live[3] ~= '1' then
    refusal = 'voting_closed'
  elseif live[5] and live[5] ~= '' then
    local clock = redis.call('TIME')
    if tonumber(clock[1]) + tonumber(clock[2]) / 1000000 >= tonumber(live[5]) then refusal = 'voting_closed' end
  end
elseif gate ~= '*' and redis.call('HGET', KEYS[1], gate) ~= '1' then
  refusal = 'voting_closed'
end

local function add(counts, sign, cast_at)
  for key, amount in string.gmatch(counts, '([^\031]+)\031(%-?%d+)') do
    redis.call('HINCRBY', KEYS[3], key, sign * tonumber(amount))
    if sign > 0 and string.byte(key, 1) == 126 then redis.call('HSETNX', KEYS[4], key, cast_at) end
  end
end

local accepted = 0
for i = 0, count - 1 do
  local base = FIRST + 5 * i
  local voter, value, counts, cast_at, expected = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3],
    ARGV[base + 4]
  local previous = live[1] and redis.call('HGET', KEYS[2], voter)
  local previous_value, previous_counts = nil, nil
  if previous then
    local first = string.find(previous, RS, 1, true)
    if first then
      previous_value = string.sub(previous, 1, first - 1)
      local second = string.find(previous, RS, first + 1, true)
      previous_counts = string.sub(previous, first + 1, (second or 0) - 1)
    else
      -- Stored by livepoll 0.1: option ids joined by US, one vote each.
      previous_counts = string.gsub(previous, '([^\031]+)', '%1' .. US .. '1')
    end
  end
  local fits = expected == '' or (expected == '-' and not previous) or
    (string.byte(expected, 1) == 61 and previous_value == string.sub(expected, 2))
  if previous_value == value then
    outcomes[i + 2] = 'unchanged'
  elseif refusal then
    outcomes[i + 2] = refusal
  elseif not fits then
    outcomes[i + 2] = 'conflict'
  elseif previous and ARGV[2] ~= '1' then
    outcomes[i + 2] = 'change_not_allowed'
  else
    if previous_counts then add(previous_counts, -1, cast_at) end
    add(counts, 1, cast_at)
    redis.call('HSET', KEYS[2], voter, value .. RS .. counts .. RS .. cast_at)
    outcomes[i + 2] = 'accepted'
    accepted = accepted + 1
  end
end
if accepted > 0 then
  redis.call('HINCRBY', KEYS[3], '#', accepted)  -- model.VERSION: what moved since a screen last read it
  outcomes[1] = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('HSET', KEYS[1], 'active', ARGV[3])
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
  if ARGV[7] ~= '' then redis.call('PUBLISH', ARGV[7], outcomes[1]) end
end
return outcomes
