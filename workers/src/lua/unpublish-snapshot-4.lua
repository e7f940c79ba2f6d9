-- Removes a deleted environment's snapshot and deltas; keeps the version key so a re-created
-- environment still only moves forward.
-- KEYS: snapshot, version, environments, deltas
-- ARGV: environment id
redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[4])
redis.call('SREM', KEYS[3], ARGV[1])
return 1
