local value = redis.call('GET', KEYS[1]) or ''
local attempt, deadline, order = string.match(value, '^c:(%w+):(%d+):([^|]*)')
if attempt ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local left = math.max(tonumber(deadline) - now, 1)
redis.call('SET', KEYS[1], string.format('p:%s:%s', deadline, order), 'PX', left + tonumber(ARGV[2]))
return 1
