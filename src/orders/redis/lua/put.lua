local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local retention = tonumber(ARGV[2])
local value = string.format('p:%d:%s', now + ttl, ARGV[3])
-- A held user's keys never expire (see lifecycle.rs).
local held = redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 1
local stored
if held then
  stored = redis.call('SET', KEYS[1], value, 'NX')
else
  stored = redis.call('SET', KEYS[1], value, 'NX', 'PX', ttl + retention)
end
if stored then
  if ARGV[4] ~= '' then
    local created = tonumber(string.match(ARGV[4], '^(%d+):'))
    redis.call('ZADD', KEYS[2], 'NX', created, ARGV[4])
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - ttl - retention))
  end
  -- The user's orders, for erasure: kept as long as any of them may be
  -- (a consume past the deadline keeps a tombstone for the retention).
  redis.call('SADD', KEYS[3], ARGV[6])
  local life = ttl + 2 * retention
  if held then
    redis.call('PERSIST', KEYS[3])
  elseif redis.call('PTTL', KEYS[3]) < life then
    redis.call('PEXPIRE', KEYS[3], life)
  end
  return 1
end
local existing = redis.call('GET', KEYS[1])
if existing and string.match(existing, '^p:%d+:(.*)$') == ARGV[3] then return 1 end
return 0
