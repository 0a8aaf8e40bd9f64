local value = redis.call('GET', KEYS[1])
if not value then return {0, ''} end
if string.sub(value, 1, 2) == 'c:' then return {3, ''} end
local deadline, binding = string.match(value, '^p:(%d+):%d+:([^:]+):')
if not deadline then return {4, ''} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(deadline) then return {2, ''} end
return {1, binding}
