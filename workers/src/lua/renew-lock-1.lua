-- Extends a lock's TTL (a publisher's, taken with SET NX PX and a random token) only while it
-- still holds this holder's token: a renewal after the lock was lost must not extend another
-- holder's.
-- KEYS: lock
-- ARGV: token, TTL in ms
-- Returns 1 when extended, 0 when the lock had expired or belongs to another holder.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
