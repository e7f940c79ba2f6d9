-- Deletes a lock (a publisher's or the kill reconciler's, taken with SET NX PX and a random
-- token) only while it still holds this holder's token.
-- KEYS: lock
-- ARGV: token
-- Returns 1 when deleted, 0 when the lock had expired or belongs to another holder.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
