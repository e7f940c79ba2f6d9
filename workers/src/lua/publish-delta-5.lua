-- Stores one change of an environment as a delta onto the version Redis holds: the delta entry
-- in the deltas set (score = version), the version, the cleared kill entries and the change
-- message happen together or not at all, and only onto the base the publisher read.
-- KEYS: snapshot, version, deltas, changes, kills
-- ARGV: version, base, delta entry JSON, message JSON, flags whose kill entry to clear...
-- Returns -1 when stored; -2 when there is no full snapshot to build on (publish in full);
-- else the version Redis holds (not the base: read it again, or a newer publish won).
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local version = tonumber(ARGV[1])
if version <= current or current ~= tonumber(ARGV[2]) then return current end
redis.call('ZADD', KEYS[3], version, ARGV[3])
redis.call('SET', KEYS[2], ARGV[1])
for i = 5, #ARGV do redis.call('HDEL', KEYS[5], ARGV[i]) end
redis.call('PUBLISH', KEYS[4], ARGV[4])
return -1
