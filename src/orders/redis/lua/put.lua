local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local record = string.format('p:%d:%s', now + ttl, ARGV[3])
if redis.call('SET', KEYS[1], record, 'NX', 'PX', ttl + tonumber(ARGV[2])) then
  if ARGV[4] ~= '' then
    local created = tonumber(string.match(ARGV[4], '^(%d+):'))
    redis.call('ZADD', KEYS[2], 'NX', created, ARGV[4])
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - ttl - tonumber(ARGV[2])))
  end
  return 1
end
local existing = redis.call('GET', KEYS[1])
if existing and string.match(existing, '^p:%d+:(.*)$') == ARGV[3] then return 1 end
return 0
