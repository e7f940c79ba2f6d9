-- Replaces an environment's full snapshot with one at the version Redis holds now and drops the
-- deltas it covers, with no change message (nothing changed for the followers): what a follower
-- loading in full then reads is one snapshot plus few deltas. Refused when another version was
-- published since the publisher read it.
-- KEYS: snapshot, version, deltas
-- ARGV: version, envelope JSON
-- Returns 1 when stored, 0 when the version moved.
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
return 1
