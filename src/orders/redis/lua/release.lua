-- Lifts a user's legal hold: each key expires again, a pending order
-- after its deadline plus the retention, a tombstone after the retention.
-- KEYS[1] holds, KEYS[2] the user's orders, KEYS[3..] their order keys;
-- ARGV[1] user id, ARGV[2] retention ms.
redis.call('SREM', KEYS[1], ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local retention = tonumber(ARGV[2])
local longest = 0
for i = 3, #KEYS do
  local value = redis.call('GET', KEYS[i])
  if value then
    local life = retention
    local deadline = string.match(value, '^p:(%d+):')
    if deadline then life = math.max(tonumber(deadline) - now, 1) + retention end
    redis.call('PEXPIRE', KEYS[i], life)
    if life > longest then longest = life end
  end
end
if longest > 0 then
  redis.call('PEXPIRE', KEYS[2], longest + retention)
else
  redis.call('DEL', KEYS[2])
end
return 1
