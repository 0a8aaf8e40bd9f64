-- Erases a user's orders: a pending one is deleted (and leaves the due
-- index), a consumed one becomes a tombstone without user, binding,
-- attempt or settlement (`c:x:<deadline>:<created>:-:`), which still
-- refuses a replay. Nothing when the user is held: {-1, 0, 0}.
-- KEYS[1] holds, KEYS[2] the user's orders, KEYS[3] due index,
-- KEYS[4..] their order keys; ARGV[1] user id, ARGV[2..] the order
-- numbers of KEYS[4..]. Answers {orders, anonymised, settlements}.
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return {-1, 0, 0} end
local orders, anonymised, settlements = 0, 0, 0
for i = 4, #KEYS do
  local order_no = ARGV[i - 2]
  local value = redis.call('GET', KEYS[i])
  if value then
    local created = string.match(value, '^p:%d+:(%d+):')
    if created then
      redis.call('DEL', KEYS[i])
      orders = orders + 1
    else
      local deadline, rest
      deadline, created, rest = string.match(value, '^c:%w+:(%d+):(%d+):(.*)$')
      if created then
        if string.find(rest, '|', 1, true) then settlements = settlements + 1 end
        -- Keeps the time to live (PTTL then PX, not KEEPTTL: Redis 5.0
        -- has none).
        local anonymous = string.format('c:x:%s:%s:-:', deadline, created)
        local ttl = redis.call('PTTL', KEYS[i])
        if ttl > 0 then
          redis.call('SET', KEYS[i], anonymous, 'PX', ttl)
        else
          redis.call('SET', KEYS[i], anonymous)
        end
        anonymised = anonymised + 1
      end
    end
    if created then redis.call('ZREM', KEYS[3], created .. ':' .. order_no) end
  end
  redis.call('SREM', KEYS[2], order_no)
end
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[2]) end
return {orders, anonymised, settlements}
