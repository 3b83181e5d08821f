-- Store a group of ballots on one question of one session, atomically against the session's live state
-- (RedisBackend.cast_ballot; the group commit puts each batch's ballots for one question into one call).
-- Idempotent per voter: running it again with the same ballot stores it once (the second run answers
-- 'unchanged'), which is what makes a resend after a lost reply safe.
-- KEYS: 1 state hash, 2 the question's ballots hash (voter -> choices), 3 the question's tally hash
--       (option -> votes), 4 the response log stream, 5 the session definition
-- ARGV: 1 question id, 2 '1' if changes are allowed, 3 now, 4 retention in ms,
--       then per ballot: voter, choices in canonical order joined by \31, cast_at
-- Returns {seq, outcome per ballot...}; seq is the session's new version if a ballot was accepted, else 0.
local count = (#ARGV - 4) / 3
local outcomes = {0}
local live = redis.call('HMGET', KEYS[1], 'seq', 'current', 'open')
local refusal = nil
if not live[1] then
  refusal = 'no_session'
elseif live[2] ~= ARGV[1] then
  refusal = 'not_current'
elseif live[3] ~= '1' then
  refusal = 'voting_closed'
end
if refusal then
  for i = 1, count do outcomes[i + 1] = refusal end
  return outcomes
end
local accepted = 0
for i = 0, count - 1 do
  local voter, choices, cast_at = ARGV[5 + 3 * i], ARGV[6 + 3 * i], ARGV[7 + 3 * i]
  local previous = redis.call('HGET', KEYS[2], voter)
  if previous == choices then
    outcomes[i + 2] = 'unchanged'
  elseif previous and ARGV[2] ~= '1' then
    outcomes[i + 2] = 'change_not_allowed'
  else
    if previous then
      for choice in string.gmatch(previous, '[^\031]+') do redis.call('HINCRBY', KEYS[3], choice, -1) end
    end
    for choice in string.gmatch(choices, '[^\031]+') do redis.call('HINCRBY', KEYS[3], choice, 1) end
    redis.call('HSET', KEYS[2], voter, choices)
    redis.call('XADD', KEYS[4], '*', 'q', ARGV[1], 'v', voter, 'c', choices, 't', cast_at)
    outcomes[i + 2] = 'accepted'
    accepted = accepted + 1
  end
end
if accepted > 0 then
  outcomes[1] = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('HSET', KEYS[1], 'active', ARGV[3])
  for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
end
return outcomes
