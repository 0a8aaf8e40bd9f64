local value = redis.call('GET', KEYS[1])
if not value then return {0, ''} end
local attempt, deadline, order = string.match(value, '^c:(%w+):(%d+):(%d+:[^|]*)')
if not attempt then
  deadline, order = string.match(value, '^p:(%d+):(%d+:.*)$')
end
if not order then return {4, ''} end
local binding = string.match(order, '^%d+:([^:]+):')
local bound = ARGV[4] ~= ''
if attempt then
  if attempt == ARGV[2] then
    -- Written again so that a WAIT after this retry covers it, with the
    -- time to live it has (PTTL then PX, not KEEPTTL: Redis 5.0 has none).
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then
      redis.call('SET', KEYS[1], value, 'PX', ttl)
    else
      redis.call('SET', KEYS[1], value)
    end
    return {1, order}
  end
  if bound and binding == ARGV[4] then return {5, order} end
  return {3, ''}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(deadline) and ARGV[6] ~= '1' then return {2, ''} end
if bound and binding ~= ARGV[4] then return {6, ''} end
if now > tonumber(ARGV[3]) then return {7, ''} end
local tombstone = string.format('c:%s:%s:%s', ARGV[2], deadline, order)
if ARGV[5] ~= '' then tombstone = tombstone .. '|' .. ARGV[5] end
-- A held user's tombstone never expires (see lifecycle.rs).
local user = string.match(order, '^%d+:[^:]+:([^:]*)')
if redis.call('SISMEMBER', KEYS[2], user) == 1 then
  redis.call('SET', KEYS[1], tombstone)
else
  redis.call('SET', KEYS[1], tombstone, 'PX', ARGV[1])
end
return {1, order}
