-- Stores an environment's snapshot envelope as its new version, unless Redis already holds that
-- version or a newer one (a slow publisher holding an older version loses): the envelope, the
-- version, the environments set entry, the end of the deltas it replaces and the change message
-- happen together or not at all.
-- KEYS: snapshot, version, environments, changes, kills, deltas
-- ARGV: version, envelope JSON, environment id, message JSON, flags whose kill entry to clear...
-- Returns -1 when stored, else the version Redis holds.
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local version = tonumber(ARGV[1])
if version <= current then return current end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('DEL', KEYS[6])
for i = 5, #ARGV do redis.call('HDEL', KEYS[5], ARGV[i]) end
redis.call('PUBLISH', KEYS[4], ARGV[4])
return -1
