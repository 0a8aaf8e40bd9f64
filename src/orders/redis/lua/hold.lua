-- Puts a user under a legal hold: their keys stop expiring.
-- KEYS[1] holds, KEYS[2] the user's orders, KEYS[3..] their order keys;
-- ARGV[1] user id.
redis.call('SADD', KEYS[1], ARGV[1])
for i = 2, #KEYS do
  redis.call('PERSIST', KEYS[i])
end
return 1
