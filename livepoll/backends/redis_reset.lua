-- Discard every ballot on one question, and its entries in the response log (RedisBackend.reset_question).
-- KEYS: 1 state hash, 2 the question's ballots hash, 3 its tally hash, 4 the response log stream
-- ARGV: 1 question id, 2 now, 3 retention in ms, 4 notice channel
-- Returns the new version, or 0 if there is no such session.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
-- Walk the log in pages so that one page's reply stays small; entries start with the field 'q'.
local start = '-'
while true do
  local entries = redis.call('XRANGE', KEYS[4], start, '+', 'COUNT', 500)
  if #entries == 0 then break end
  local doomed = {}
  for _, entry in ipairs(entries) do
    if entry[2][2] == ARGV[1] then doomed[#doomed + 1] = entry[1] end
  end
  if #doomed > 0 then redis.call('XDEL', KEYS[4], unpack(doomed)) end
  start = '(' .. entries[#entries][1]
end
redis.call('HSET', KEYS[1], 'active', ARGV[2])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], seq)
return seq
